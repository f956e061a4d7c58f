package dev.backpressure.remediation;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A memory size in bytes, read and written the way Flink's configuration writes them ("64m", "1
 * gb", "32768"): units are powers of 1024.
 */
public record MemorySize(long bytes) implements Comparable<MemorySize> {

  public static final MemorySize ZERO = new MemorySize(0);

  /** Flink's "unbounded" network max. */
  public static final MemorySize MAX = new MemorySize(Long.MAX_VALUE);

  private static final Pattern FORMAT =
      Pattern.compile("^(\\d+)\\s*([a-z]*)$", Pattern.CASE_INSENSITIVE);

  public MemorySize {
    if (bytes < 0) {
      throw new IllegalArgumentException("memory size must not be negative: " + bytes);
    }
  }

  public static MemorySize ofMebiBytes(long mb) {
    return new MemorySize(mb << 20);
  }

  public static MemorySize parse(String text) {
    Matcher m = FORMAT.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a memory size; write it as Flink does, e.g. 64m, 1g or 1024 mb");
    }
    long n = Long.parseLong(m.group(1));
    int shift =
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "", "b", "bytes" -> 0;
          case "k", "kb", "kibibytes" -> 10;
          case "m", "mb", "mebibytes" -> 20;
          case "g", "gb", "gibibytes" -> 30;
          case "t", "tb", "tebibytes" -> 40;
          default ->
              throw new IllegalArgumentException(
                  "'" + text + "' has an unknown unit; use b, k, m, g or t");
        };
    if (shift > 0 && n > (Long.MAX_VALUE >> shift)) {
      return MAX;
    }
    return new MemorySize(n << shift);
  }

  public long mebiBytes() {
    return bytes >> 20;
  }

  public MemorySize plus(MemorySize other) {
    long sum = bytes + other.bytes;
    return sum < 0 ? MAX : new MemorySize(sum);
  }

  public MemorySize minus(MemorySize other) {
    return new MemorySize(bytes - other.bytes);
  }

  public MemorySize times(double factor) {
    return new MemorySize((long) (bytes * factor));
  }

  public static MemorySize min(MemorySize a, MemorySize b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  public static MemorySize max(MemorySize a, MemorySize b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  @Override
  public int compareTo(MemorySize other) {
    return Long.compare(bytes, other.bytes);
  }

  /** Flink's notation, in the largest unit that divides exactly ("64m", "1g", "1536m", "300b"). */
  @Override
  public String toString() {
    if (bytes == Long.MAX_VALUE) {
      return "unbounded";
    }
    String[] units = {"t", "g", "m", "k"};
    int[] shifts = {40, 30, 20, 10};
    for (int i = 0; i < units.length; i++) {
      long unit = 1L << shifts[i];
      if (bytes >= unit && bytes % unit == 0) {
        return (bytes >> shifts[i]) + units[i];
      }
    }
    return bytes + "b";
  }
}
