package dev.backpressure.flink;

/**
 * One exception from the job's exception history ({@code root-exception} on 1.x or an {@code
 * exceptionHistory} entry on both 1.x and 2.x).
 */
public record JobFailure(
    String exceptionName, String stacktrace, long timestampMillis, String taskName) {

  /** Whether the exception shows the sign, in its name or any line of its stack trace. */
  public boolean shows(FailureSign sign) {
    return mentions(sign.text());
  }

  /** Whether it shows any of the signs. */
  public boolean showsAny(java.util.Collection<FailureSign> signs) {
    return signs.stream().anyMatch(this::shows);
  }

  private boolean mentions(String text) {
    return (exceptionName != null && exceptionName.contains(text))
        || (stacktrace != null && stacktrace.contains(text));
  }

  /**
   * The message of the innermost cause (the last "Caused by:" line), or the first line: Flink wraps
   * the real failure in "Recovery is suppressed…" and similar.
   */
  public String headline() {
    if (stacktrace == null || stacktrace.isBlank()) {
      return exceptionName == null ? "" : exceptionName;
    }
    String[] lines = stacktrace.split("\\R");
    String headline = lines[0];
    for (String line : lines) {
      if (line.startsWith("Caused by: ")) {
        headline = line.substring("Caused by: ".length());
      }
    }
    return headline.trim();
  }
}
