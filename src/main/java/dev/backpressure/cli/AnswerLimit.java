package dev.backpressure.cli;

import dev.backpressure.remediation.MemorySize;

/** The {@code --max-answer} option of both commands, read and checked the same way. */
final class AnswerLimit {

  private AnswerLimit() {}

  /** Bytes from a size such as {@code 8m}; Flink's smallest answers need at least a kibibyte. */
  static long parse(String text, String option) {
    long bytes;
    try {
      bytes = MemorySize.parse(text).bytes();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage());
    }
    if (bytes < 1024) {
      throw new IllegalArgumentException(option + " must be at least 1k, got " + text);
    }
    return bytes;
  }
}
