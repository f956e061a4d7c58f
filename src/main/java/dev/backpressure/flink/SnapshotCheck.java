package dev.backpressure.flink;

import java.util.Locale;
import java.util.Optional;

/**
 * Values Flink cannot produce, found before anything is judged from them. A snapshot that holds one
 * comes from a broken or hostile endpoint (or a bug), and a verdict drawn from it would be
 * confident nonsense ("busy 99999 ms/s: scale 2 → 8"), so it is discarded with the value named.
 */
public final class SnapshotCheck {

  /**
   * The most busy or idle time per second may read (5% over a second, for the averaging of Flink's
   * 60 s gauges).
   */
  static final double MAX_TIME_PER_SECOND = 1050;

  /**
   * Backpressured time is Flink's soft plus its hard backpressure, each up to a second per second:
   * a sender whose records span overdraft buffers was seen at 1210 ms/s on Flink 1.20.3.
   */
  static final double MAX_BACK_PRESSURED_PER_SECOND = 2100;

  /**
   * Rounding in Flink's aggregation, relative: min, avg and max of equal values can differ in their
   * last bits, which for a CPU time of 5e10 ns is already 1e-5.
   */
  private static final double ROUNDING = 1e-9;

  private SnapshotCheck() {}

  /** What in the snapshot Flink cannot have meant, in words; empty when nothing is. */
  public static Optional<String> problem(JobSnapshot s) {
    if (s.state() == JobState.RUNNING && s.graph().vertices().isEmpty()) {
      return Optional.of("the job is RUNNING but has no vertices");
    }
    for (Vertex v : s.graph().vertices()) {
      Measurements<VertexMetric> m = s.metricsOf(v.id());
      for (VertexMetric metric : VertexMetric.values()) {
        Optional<Aggregate> a = m.get(metric);
        if (a.isEmpty()) {
          continue;
        }
        double high =
            switch (metric) {
              case BUSY, IDLE -> MAX_TIME_PER_SECOND;
              case BACK_PRESSURED -> MAX_BACK_PRESSURED_PER_SECOND;
              default -> Double.MAX_VALUE; // rates and pool usage (overdraft exceeds 1) have no top
            };
        Optional<String> wrong = outside(a.get(), 0, high);
        if (wrong.isPresent()) {
          return Optional.of(
              "vertex '" + v.name() + "': " + metric.flinkName() + " " + wrong.get());
        }
      }
    }
    for (TaskManagerMetric metric : TaskManagerMetric.values()) {
      Optional<Aggregate> a = s.taskManagers().get(metric);
      if (a.isPresent()) {
        Optional<String> wrong =
            // The JVM reports -1 for a CPU figure it cannot measure.
            outside(a.get(), -1, Double.MAX_VALUE);
        if (wrong.isPresent()) {
          return Optional.of("TaskManagers: " + metric.flinkName() + " " + wrong.get());
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<String> outside(Aggregate a, double low, double high) {
    if (above(a.min(), a.max())) {
      return Optional.of(
          "has min " + format(a.min()) + " above its max " + format(a.max()) + " over subtasks");
    }
    if (above(a.min(), a.avg()) || above(a.avg(), a.max())) {
      return Optional.of(
          "has avg "
              + format(a.avg())
              + " outside its min "
              + format(a.min())
              + " and max "
              + format(a.max()));
    }
    if (a.min() < low) {
      return Optional.of("= " + format(a.min()) + ", below " + format(low));
    }
    if (a.max() > high) {
      return Optional.of("= " + format(a.max()) + ", above " + format(high));
    }
    return Optional.empty();
  }

  /** Whether x is above y by more than rounding. */
  private static boolean above(double x, double y) {
    return x - y > ROUNDING * Math.max(1, Math.max(Math.abs(x), Math.abs(y)));
  }

  private static String format(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15
        ? Long.toString((long) value)
        : String.format(Locale.ROOT, "%.3g", value);
  }
}
