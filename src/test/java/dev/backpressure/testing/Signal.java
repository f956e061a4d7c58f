package dev.backpressure.testing;

import dev.backpressure.flink.Aggregate;
import dev.backpressure.flink.FailureSign;
import dev.backpressure.flink.FlameGraph;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.SnapshotWindow;
import dev.backpressure.flink.Vertex;
import dev.backpressure.flink.VertexMetric;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.ToDoubleFunction;

/**
 * What a scenario's job must show in Flink's own figures, with bounds well clear of the
 * classifier's thresholds, before a verdict on it says anything about the classifier. A test that
 * never sees the signal failed to make the situation (a slow or busy machine), not to judge it, and
 * says so apart.
 *
 * @param samples how many snapshots in a row must show it (a full window for metric signals: then
 *     backpressure is sustained by any of the test's settings)
 * @param settle how long the job must have reported metrics before its snapshots count
 */
public record Signal(List<Check> checks, int samples, Duration settle) {

  /**
   * How long Flink's busy, idle and backpressured times take to describe the running job rather
   * than its start: each is the average of the last 60 s, refreshed every 5 s (TimerGauge). Sooner,
   * the figures still hold the start, when the sources wait for consumers that are not yet there,
   * and a job whose steady state is not its signal can seem to show it.
   */
  public static final Duration GAUGE_SPAN = Duration.ofSeconds(65);

  public Signal {
    checks = List.copyOf(checks);
  }

  /** One figure read off the newest snapshots of a window, with the bound it must meet. */
  @FunctionalInterface
  public interface Check {
    Reading read(SnapshotWindow window);
  }

  /** What one check saw; a figure that Flink did not report is NaN and never holds. */
  public record Reading(String what, double value, String relation, double bound) {
    public boolean holds() {
      return relation.equals(">=") ? value >= bound : value <= bound;
    }

    @Override
    public String toString() {
      return what + " = " + format(value) + " (needs " + relation + " " + format(bound) + ")";
    }
  }

  /** What every check saw in one window. */
  public record Readings(List<Reading> readings) {
    public boolean hold() {
      return readings.stream().allMatch(Reading::holds);
    }

    @Override
    public String toString() {
      return (hold() ? "signal shown: " : "signal not shown: ")
          + String.join("; ", readings.stream().map(Reading::toString).toList());
    }
  }

  /**
   * Figures that must hold for a whole window, from the job's start: for a job whose figures are
   * pinned where they settle (a source blocked 1000 ms/s behind a bottleneck busy 1000 ms/s), as a
   * 60-second average of a constant is that constant. Measured so: COMPUTE, SKEW, BLOCKING and
   * ITERATION read the same in their first seconds as after a minute.
   */
  public static Signal sustained(Check... checks) {
    return new Signal(List.of(checks), Observation.WINDOW, Duration.ZERO);
  }

  /**
   * Figures that must hold for a whole window once the gauges describe the running job, for a job
   * whose figures settle between the bounds (a sender waiting part of each second): its first
   * minute can read far from where it settles (buffers per channel: 1000 ms/s at first, 590 after a
   * minute, before it was reshaped).
   */
  public static Signal settled(Check... checks) {
    return new Signal(List.of(checks), Observation.WINDOW, GAUGE_SPAN);
  }

  /** An event (a failure) that shows once and stays shown. */
  public static Signal once(Check check) {
    return new Signal(List.of(check), 1, Duration.ZERO);
  }

  public Readings read(SnapshotWindow window) {
    List<Reading> readings = new ArrayList<>();
    for (Check c : checks) {
      readings.add(c.read(window));
    }
    return new Readings(readings);
  }

  /** The worst subtask of the vertex whose name starts with the prefix waits at least this long. */
  public static Check backPressured(String vertex, double atLeast) {
    return metric(vertex, VertexMetric.BACK_PRESSURED, "max", Aggregate::max, ">=", atLeast);
  }

  /** Every subtask of the vertex is busy at least this long per second. */
  public static Check busyEverywhere(String vertex, double atLeast) {
    return metric(vertex, VertexMetric.BUSY, "min", Aggregate::min, ">=", atLeast);
  }

  /** The busiest subtask of the vertex is busy at least this long per second. */
  public static Check busiestSubtask(String vertex, double atLeast) {
    return metric(vertex, VertexMetric.BUSY, "max", Aggregate::max, ">=", atLeast);
  }

  /** The vertex's subtasks are on average busy at most this long per second. */
  public static Check busyOnAverageAtMost(String vertex, double atMost) {
    return metric(vertex, VertexMetric.BUSY, "avg", Aggregate::avg, "<=", atMost);
  }

  /** The busiest subtask of the vertex is busy at most this long per second. */
  public static Check busyAtMost(String vertex, double atMost) {
    return metric(vertex, VertexMetric.BUSY, "max", Aggregate::max, "<=", atMost);
  }

  /** The vertex's subtasks take in at least this many records per second on average. */
  public static Check flowing(String vertex, double atLeast) {
    return metric(vertex, VertexMetric.RECORDS_IN, "avg", Aggregate::avg, ">=", atLeast);
  }

  /** The vertex's fullest output pool is at least this full. */
  public static Check outputPoolFull(String vertex, double atLeast) {
    return metric(vertex, VertexMetric.OUT_POOL_USAGE, "max", Aggregate::max, ">=", atLeast);
  }

  /** No vertex of the job waits more than this for output buffers. */
  public static Check noVertexBackPressuredAbove(double atMost) {
    return window -> {
      JobSnapshot s = window.latest().orElseThrow();
      double worst =
          s.hasMetrics()
              ? s.graph().vertices().stream()
                  .mapToDouble(
                      v ->
                          s.metric(v.id(), VertexMetric.BACK_PRESSURED)
                              .map(Aggregate::max)
                              .orElse(0.0))
                  .max()
                  .orElse(Double.NaN)
              : Double.NaN;
      return new Reading("worst backPressuredTimeMsPerSecond of any vertex", worst, "<=", atMost);
    };
  }

  /**
   * The TaskManagers burned at least (or at most) this many cores over the window. Over the window,
   * not since the snapshot before: Flink refreshes its CPU time gauge on its own beat, so two
   * snapshots a second apart can see the same value (0 cores) and the next pair twice the truth.
   */
  public static Check coresInUse(String relation, double bound) {
    return window -> {
      List<JobSnapshot> all = window.snapshots();
      OptionalDouble cores =
          all.size() < 2
              ? OptionalDouble.empty()
              : all.get(all.size() - 1).coresUsedSince(all.get(0));
      return new Reading(
          "CPU cores in use by the TaskManagers", cores.orElse(Double.NaN), relation, bound);
    };
  }

  /**
   * In the newest ON_CPU flame graph of the vertex, at least this share of samples passes through a
   * frame whose name contains the text.
   */
  public static Check flameShare(String vertex, String frame, double atLeast) {
    return window -> {
      double share = Double.NaN;
      for (JobSnapshot s : window.snapshots()) {
        Optional<Vertex> v = find(s, vertex);
        FlameGraph g = v.map(x -> s.flameGraphs().get(x.id())).orElse(null);
        if (g != null && g.samples() > 0) {
          share = g.shareOfSamples(name -> name.contains(frame));
        }
      }
      return new Reading(
          "'" + vertex + "' on-CPU samples in " + frame + "* frames", share, ">=", atLeast);
    };
  }

  /** The job has failed with an exception that shows the sign (1 when it has, else 0). */
  public static Check failedWith(FailureSign sign) {
    return window -> {
      boolean seen =
          window.latest().orElseThrow().exceptions().stream().anyMatch(f -> f.shows(sign));
      return new Reading("exception mentioning '" + sign.text() + "'", seen ? 1 : 0, ">=", 1);
    };
  }

  private static Check metric(
      String vertex,
      VertexMetric metric,
      String stat,
      ToDoubleFunction<Aggregate> pick,
      String relation,
      double bound) {
    return window -> {
      JobSnapshot s = window.latest().orElseThrow();
      double value =
          find(s, vertex)
              .flatMap(v -> s.metric(v.id(), metric))
              .map(pick::applyAsDouble)
              .orElse(Double.NaN);
      return new Reading(
          "'" + vertex + "' " + metric.flinkName() + " (" + stat + ")", value, relation, bound);
    };
  }

  private static Optional<Vertex> find(JobSnapshot s, String prefix) {
    return s.graph().vertices().stream().filter(v -> v.name().startsWith(prefix)).findFirst();
  }

  private static String format(double v) {
    if (Double.isNaN(v)) {
      return "unknown";
    }
    return v == Math.rint(v) && Math.abs(v) < 1e9
        ? Long.toString((long) v)
        : String.format(java.util.Locale.ROOT, "%.3f", v);
  }
}
