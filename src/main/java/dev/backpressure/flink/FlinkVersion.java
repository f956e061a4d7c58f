package dev.backpressure.flink;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Flink version a cluster reports; decides which configuration keys exist (Flink 2.0 removed
 * the per-channel buffer keys).
 */
public record FlinkVersion(int major, int minor, String raw) implements Comparable<FlinkVersion> {

  private static final Pattern MAJOR_MINOR = Pattern.compile("^(\\d+)\\.(\\d+)");

  /** Parses "1.20.3", "2.1.0" or "1.20-SNAPSHOT"; an unparseable string is version 0.0. */
  public static FlinkVersion parse(String raw) {
    if (raw == null) {
      return new FlinkVersion(0, 0, "unknown");
    }
    Matcher m = MAJOR_MINOR.matcher(raw.trim());
    if (!m.find()) {
      return new FlinkVersion(0, 0, raw);
    }
    try {
      return new FlinkVersion(
          Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), raw.trim());
    } catch (NumberFormatException e) {
      return new FlinkVersion(0, 0, raw.trim()); // digits beyond any release: not a version
    }
  }

  public boolean isKnown() {
    return major > 0;
  }

  /** {@code taskmanager.network.memory.buffers-per-channel} and friends exist only before 2.0. */
  public boolean hasPerChannelBufferKeys() {
    return isKnown() && major < 2;
  }

  @Override
  public int compareTo(FlinkVersion other) {
    return major != other.major
        ? Integer.compare(major, other.major)
        : Integer.compare(minor, other.minor);
  }

  @Override
  public String toString() {
    return raw;
  }
}
