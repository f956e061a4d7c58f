package dev.backpressure.flink;

import java.util.EnumSet;
import java.util.Set;

/**
 * The texts in a job's exceptions that mean something to this project, each stated once: what Flink
 * throws when a job cannot get its memory. A {@link JobFailure} is asked whether it shows one; no
 * rule matches exception text of its own.
 */
public enum FailureSign {
  /** Thrown at startup when the network memory cannot hold the buffers the job's gates need. */
  INSUFFICIENT_NETWORK_BUFFERS("Insufficient number of network buffers"),
  /** The same shortage, met while a task waits for its exclusive buffers. */
  BUFFER_REQUEST_TIMEOUT("Timeout triggered when requesting exclusive buffers"),
  DIRECT_MEMORY("Direct buffer memory"),
  SEGMENTS_NOT_ALLOCATED("Could not allocate enough memory segments"),
  MEMORY_ALLOCATION("MemoryAllocationException"),
  MEMORY_RESERVATION("MemoryReservationException"),
  OUT_OF_MEMORY("OutOfMemoryError");

  /** Network buffers are short: the job cannot run with the network memory it has. */
  public static final Set<FailureSign> BUFFER_SHORTAGE =
      EnumSet.of(INSUFFICIENT_NETWORK_BUFFERS, BUFFER_REQUEST_TIMEOUT);

  private final String text;

  FailureSign(String text) {
    this.text = text;
  }

  /** The text as it appears in the exception's name or stack trace. */
  public String text() {
    return text;
  }
}
