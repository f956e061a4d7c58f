package dev.backpressure.remediation;

import dev.backpressure.flink.FlinkOptions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads and writes {@code pipeline.jobvertex-parallelism-overrides} ("vertexId:p,vertexId:p"), so
 * that a change to one vertex keeps every other vertex's override as it was.
 */
public final class ParallelismOverrides {

  public static final String KEY = FlinkOptions.PARALLELISM_OVERRIDES.key();

  private ParallelismOverrides() {}

  public static Map<String, Integer> parse(String value) {
    Map<String, Integer> out = new LinkedHashMap<>();
    if (value == null || value.isBlank()) {
      return out;
    }
    for (String entry : value.split(",")) {
      String[] kv = entry.trim().split(":");
      if (kv.length != 2) {
        throw new IllegalArgumentException(
            KEY + " entry '" + entry.trim() + "' is not <vertexId>:<parallelism>");
      }
      try {
        out.put(kv[0].trim(), Integer.parseInt(kv[1].trim()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            KEY + " entry '" + entry.trim() + "' has a parallelism that is not a whole number");
      }
    }
    return out;
  }

  public static String format(Map<String, Integer> overrides) {
    return overrides.entrySet().stream()
        .map(e -> e.getKey() + ":" + e.getValue())
        .collect(Collectors.joining(","));
  }

  /** The overrides with one vertex set, the others unchanged and in their order. */
  public static String with(String current, String vertexId, int parallelism) {
    Map<String, Integer> map = parse(current);
    map.put(vertexId, parallelism);
    return format(map);
  }
}
