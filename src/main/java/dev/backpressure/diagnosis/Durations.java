package dev.backpressure.diagnosis;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes durations the way people type them ("500ms", "30s", "5m", "2h", or ISO-8601).
 */
public final class Durations {

  private static final Pattern SIMPLE = Pattern.compile("^(\\d+)\\s*(ms|s|m|h|d)$");

  private Durations() {}

  public static Duration parse(String text, String what) {
    String t = text == null ? "" : text.trim();
    Matcher m = SIMPLE.matcher(t);
    if (m.matches()) {
      try {
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
      } catch (NumberFormatException | ArithmeticException e) {
        throw new IllegalArgumentException(
            what + " is longer than any duration, got '" + text + "'");
      }
    }
    try {
      return Duration.parse(t);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          what + " must be a duration such as 500ms, 30s, 5m or 1h, got '" + text + "'");
    }
  }

  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    if (ms > 10_000) {
      return String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
    }
    return ms + "ms";
  }
}
