package dev.backpressure.diagnosis;

import dev.backpressure.flink.Aggregate;
import dev.backpressure.flink.FailureSign;
import dev.backpressure.flink.FlameGraph;
import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.Vertex;
import dev.backpressure.flink.VertexMetric;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The rules that read one snapshot (and the one before it, for rates): where backpressure starts
 * and why. Pure: snapshots and thresholds in, a {@link Finding} out.
 */
final class SnapshotRules {

  private SnapshotRules() {}

  static Finding classify(
      Optional<JobSnapshot> previous, JobSnapshot s, Map<String, FlameGraph> flames, Thresholds t) {
    Optional<Finding> failing = bufferFailure(s, t);
    if (failing.isPresent()) {
      return failing.get();
    }
    if (!s.hasMetrics()) {
      List<Evidence> ev = new ArrayList<>();
      ev.add(new Evidence.Observed("job", "state " + s.state()));
      s.exceptions().stream()
          .findFirst()
          .ifPresent(
              f ->
                  ev.add(
                      new Evidence.Observed("job", "exception: " + truncate(f.headline(), 300))));
      return new Finding(
          false,
          Optional.empty(),
          0,
          Cause.UNKNOWN,
          Optional.empty(),
          0,
          ev,
          List.of("the job is " + s.state() + ": Flink reports no task metrics until it runs"));
    }

    List<Vertex> backpressured = new ArrayList<>();
    List<String> unread = new ArrayList<>();
    Vertex worst = null;
    double worstBp = 0;
    for (Vertex v : s.graph().vertices()) {
      double bp = max(s, v, VertexMetric.BACK_PRESSURED);
      if (Double.isNaN(bp)) {
        unread.add("'" + v.name() + "'");
      }
      if (bp >= t.backPressuredMsPerSecond()) {
        backpressured.add(v);
      }
      if (bp > worstBp) {
        worst = v;
        worstBp = bp;
      }
    }
    Optional<Vertex> worstVertex = Optional.ofNullable(worst);
    if (backpressured.isEmpty() && !unread.isEmpty()) {
      // No vertex reads as backpressured, but some cannot be read at all: that is not health.
      return new Finding(
          false,
          worstVertex,
          worstBp,
          Cause.UNKNOWN,
          Optional.empty(),
          Confidence.UNKNOWN.value,
          List.of(),
          List.of(
              VertexMetric.BACK_PRESSURED.flinkName()
                  + " of "
                  + String.join(", ", unread)
                  + " is unknown (missing or NaN): the job cannot be called healthy"));
    }
    if (backpressured.isEmpty()) {
      List<Evidence> ev = new ArrayList<>();
      worstVertex.ifPresent(
          w ->
              ev.add(
                  measured(
                      w,
                      VertexMetric.BACK_PRESSURED,
                      max(s, w, VertexMetric.BACK_PRESSURED),
                      "<",
                      t.backPressuredMsPerSecond())));
      return Finding.healthy(worstVertex, worstBp, ev);
    }

    Optional<Finding> deadlock = cyclicDeadlock(s, t, backpressured, worstVertex, worstBp);
    if (deadlock.isPresent()) {
      return deadlock.get();
    }

    Optional<Vertex> bottleneck = locateBottleneck(s, backpressured);
    if (bottleneck.isEmpty()) {
      return new Finding(
          true,
          worstVertex,
          worstBp,
          Cause.UNKNOWN,
          Optional.empty(),
          Confidence.UNKNOWN.value,
          List.of(
              measured(
                  worst, VertexMetric.BACK_PRESSURED, worstBp, ">=", t.backPressuredMsPerSecond())),
          List.of(
              "no vertex downstream of the backpressure is free of it, or its metrics are"
                  + " unknown: the bottleneck cannot be located"));
    }
    Vertex b = bottleneck.get();
    List<Vertex> upstream =
        s.graph().inputsOf(b.id()).stream().filter(backpressured::contains).toList();
    return BottleneckRules.causeAt(
        new BottleneckRules.Scene(previous, s, flames, t, b, upstream, worstVertex, worstBp));
  }

  /**
   * A job that cannot get its network buffers fails (and restarts) with a telltale exception; that
   * settles the cause even without metrics.
   */
  private static Optional<Finding> bufferFailure(JobSnapshot s, Thresholds t) {
    long since = s.takenAt().minus(t.exceptionLookback()).toEpochMilli();
    for (JobFailure f : s.exceptions()) {
      boolean recent = f.timestampMillis() >= since;
      if (recent && f.showsAny(FailureSign.BUFFER_SHORTAGE)) {
        Optional<Vertex> vertex = vertexOfTask(s, f.taskName());
        return Optional.of(
            new Finding(
                true,
                vertex,
                0,
                Cause.TOO_FEW_NETWORK_BUFFERS,
                vertex,
                Confidence.STATED_BY_FLINK.value,
                List.of(
                    new Evidence.Observed("job", "state " + s.state()),
                    new Evidence.Observed(
                        vertex.map(Vertex::name).orElse("job"),
                        "exception: " + truncate(f.headline(), 300))),
                List.of()));
      }
    }
    return Optional.empty();
  }

  /**
   * An iteration loop is deadlocked when its head cannot emit and every vertex of the loop is
   * either backpressured or is the feedback sink (which blocks handing records back to the head).
   */
  private static Optional<Finding> cyclicDeadlock(
      JobSnapshot s,
      Thresholds t,
      List<Vertex> backpressured,
      Optional<Vertex> worst,
      double worstBp) {
    for (Set<String> loop : s.graph().iterationLoops()) {
      List<Vertex> members =
          loop.stream().map(id -> s.graph().vertex(id)).flatMap(Optional::stream).toList();
      Vertex head = members.stream().filter(Vertex::isIterationSource).findFirst().orElseThrow();
      Vertex tail = members.stream().filter(Vertex::isIterationSink).findFirst().orElseThrow();
      boolean stuck =
          members.stream().allMatch(v -> v.equals(tail) || backpressured.contains(v))
              && backpressured.contains(head);
      if (stuck) {
        List<Evidence> ev = new ArrayList<>();
        for (Vertex v : members) {
          if (!v.equals(tail)) {
            ev.add(
                measured(
                    v,
                    VertexMetric.BACK_PRESSURED,
                    max(s, v, VertexMetric.BACK_PRESSURED),
                    ">=",
                    t.backPressuredMsPerSecond()));
          }
        }
        ev.add(
            new Evidence.Observed(
                "job",
                "feedback loop "
                    + head.name()
                    + " → "
                    + tail.name()
                    + " over "
                    + members.size()
                    + " vertices"));
        return Optional.of(
            new Finding(
                true,
                worst,
                worstBp,
                Cause.CYCLIC_DEADLOCK,
                Optional.of(head),
                Confidence.SHAPE_AND_SETTING.value,
                ev,
                List.of()));
      }
    }
    return Optional.empty();
  }

  /**
   * Backpressure starts at a vertex that is not backpressured itself while an input of it is. Of
   * several such vertices, the one whose inputs wait the most (then the busiest) is taken.
   */
  static Optional<Vertex> locateBottleneck(JobSnapshot s, List<Vertex> backpressured) {
    Comparator<Vertex> byPressureThenBusy =
        Comparator.<Vertex>comparingDouble(
                v ->
                    s.graph().inputsOf(v.id()).stream()
                        .mapToDouble(in -> max(s, in, VertexMetric.BACK_PRESSURED))
                        .max()
                        .orElse(0))
            .thenComparingDouble(v -> avg(s, v, VertexMetric.BUSY));
    return s.graph().vertices().stream()
        .filter(v -> !backpressured.contains(v))
        .filter(v -> s.metricsOf(v.id()).has(VertexMetric.BACK_PRESSURED))
        .filter(v -> s.graph().inputsOf(v.id()).stream().anyMatch(backpressured::contains))
        .max(byPressureThenBusy);
  }

  private static Optional<Vertex> vertexOfTask(JobSnapshot s, String taskName) {
    if (taskName == null) {
      return Optional.empty();
    }
    return s.graph().vertices().stream()
        .filter(v -> taskName.startsWith(v.name()))
        .max(Comparator.comparingInt(v -> v.name().length()));
  }

  private static double max(JobSnapshot s, Vertex v, VertexMetric m) {
    return s.metric(v.id(), m).map(Aggregate::max).orElse(Double.NaN);
  }

  private static double avg(JobSnapshot s, Vertex v, VertexMetric m) {
    return s.metric(v.id(), m).map(Aggregate::avg).orElse(Double.NaN);
  }

  private static Evidence measured(
      Vertex v, VertexMetric m, double value, String relation, double threshold) {
    return new Evidence.Measured(v.name(), m.flinkName(), value, relation, threshold);
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "…";
  }
}
