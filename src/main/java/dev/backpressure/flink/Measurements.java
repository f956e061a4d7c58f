package dev.backpressure.flink;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The metrics read for one subject (a vertex, or the TaskManagers), keyed by a metric enum. A
 * metric that Flink did not report, or reported as NaN, is simply missing: callers see {@code
 * Optional.empty()} and must treat it as unknown.
 */
public record Measurements<M extends Enum<M>>(Map<M, Aggregate> values) {

  public Measurements {
    values = values.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(values));
  }

  public static <M extends Enum<M>> Measurements<M> none() {
    return new Measurements<M>(Map.<M, Aggregate>of());
  }

  public Optional<Aggregate> get(M metric) {
    return Optional.ofNullable(values.get(metric));
  }

  public boolean has(M metric) {
    return values.containsKey(metric);
  }
}
