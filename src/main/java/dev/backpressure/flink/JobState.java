package dev.backpressure.flink;

import java.util.Locale;

/**
 * Flink's job status, as {@code /jobs/:jid} reports it; {@link #UNKNOWN} for a name we do not know.
 */
public enum JobState {
  INITIALIZING,
  CREATED,
  RUNNING,
  FAILING,
  FAILED,
  CANCELLING,
  CANCELED,
  FINISHED,
  RESTARTING,
  SUSPENDED,
  RECONCILING,
  UNKNOWN;

  public static JobState parse(String name) {
    if (name == null) {
      return UNKNOWN;
    }
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return UNKNOWN;
    }
  }

  /**
   * Whether the job was stopped on purpose or completed: nothing to diagnose. A FAILED job is not
   * among these, since its exceptions are exactly what tells why it failed.
   */
  public boolean isStopped() {
    return this == CANCELLING || this == CANCELED || this == FINISHED || this == SUSPENDED;
  }
}
