package dev.backpressure.cli;

import dev.backpressure.remediation.MemorySize;

/** The {@code --max-answer} option of both commands, read and checked the same way. */
final class AnswerLimit {

  private static final long MAX = 256L << 20;

  private AnswerLimit() {}

  /** Bytes from a size such as {@code 8m}; Flink's smallest answers need at least a kibibyte. */
  static long parse(String text, String option) {
    long bytes;
    try {
      bytes = MemorySize.parse(text).bytes();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage());
    }
    if (bytes < 1024 || bytes > MAX) {
      throw new IllegalArgumentException(
          option + " must be between 1k and 256m (16 answers may be read at once), got " + text);
    }
    return bytes;
  }
}
