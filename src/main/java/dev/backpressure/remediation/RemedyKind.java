package dev.backpressure.remediation;

import dev.backpressure.flink.FlinkOptions;
import java.util.Set;

/**
 * What kind of fix a written value is part of, told from the value's place once for everyone: the
 * policy's switches allow or refuse a kind, and a failed kind is barred under its name.
 */
public enum RemedyKind {
  /** A vertex's or the job's parallelism. */
  SCALING("scale"),
  /** The TaskManager's network memory, and what makes room for it. */
  NETWORK_MEMORY("network-memory"),
  /** Flink 1.x's buffers per channel and floating buffers per gate. */
  BUFFERS_PER_CHANNEL("buffers-per-channel");

  private static final Set<String> NETWORK_MEMORY_KEYS =
      Set.of(
          TaskManagerMemoryModel.NETWORK_MIN,
          TaskManagerMemoryModel.NETWORK_MAX,
          TaskManagerMemoryModel.MANAGED_SIZE);
  private static final Set<String> PER_CHANNEL_KEYS =
      Set.of(FlinkOptions.BUFFERS_PER_CHANNEL.key(), FlinkOptions.FLOATING_BUFFERS_PER_GATE.key());

  private final String label;

  RemedyKind(String label) {
    this.label = label;
  }

  /** The name a bar is kept under (part of the guard record: never change it). */
  public String label() {
    return label;
  }

  /** The kind of fix a change belongs to; only the places {@link Setting} owns have one. */
  public static RemedyKind of(SettingChange c) {
    if (c.setting() == Setting.JOB_PARALLELISM || c.key().equals(ParallelismOverrides.KEY)) {
      return SCALING;
    }
    if (c.setting() == Setting.TASK_MANAGER_MEMORY || NETWORK_MEMORY_KEYS.contains(c.key())) {
      return NETWORK_MEMORY;
    }
    if (PER_CHANNEL_KEYS.contains(c.key())) {
      return BUFFERS_PER_CHANNEL;
    }
    throw new IllegalArgumentException(c.key() + " is not a value this operator writes");
  }
}
