package dev.backpressure.flink;

import java.util.OptionalDouble;

/**
 * One metric aggregated over a vertex's subtasks (or over TaskManagers). Only finite values get
 * here: an unreadable or NaN metric is absent from its {@link Measurements}, never zero.
 */
public record Aggregate(double min, double avg, double max, double sum, OptionalDouble skew) {

  public Aggregate {
    requireFinite(min, "min");
    requireFinite(avg, "avg");
    requireFinite(max, "max");
    requireFinite(sum, "sum");
    if (skew == null) {
      skew = OptionalDouble.empty();
    }
  }

  /** An aggregate of a single value, as one subtask or one sample would give. */
  public static Aggregate of(double value) {
    return new Aggregate(value, value, value, value, OptionalDouble.empty());
  }

  private static void requireFinite(double value, String field) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException(field + " must be finite, was " + value);
    }
  }
}
