package dev.backpressure.diagnosis;

import dev.backpressure.flink.Aggregate;
import dev.backpressure.flink.FlameGraph;
import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.Measurements;
import dev.backpressure.flink.TaskManagerMetric;
import dev.backpressure.flink.Vertex;
import dev.backpressure.flink.VertexMetric;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The rules that read one snapshot (and the one before it, for rates): where backpressure starts
 * and why. Pure: snapshots and thresholds in, a {@link Finding} out.
 */
final class SnapshotRules {

  static final String INSUFFICIENT_BUFFERS = "Insufficient number of network buffers";
  static final String BUFFER_REQUEST_TIMEOUT =
      "Timeout triggered when requesting exclusive buffers";

  /** Flink's own defaults of the per-channel keys (Flink 1.x; hardcoded in 2.x). */
  static final String BUFFERS_PER_CHANNEL_KEY = "taskmanager.network.memory.buffers-per-channel";

  static final String FLOATING_PER_GATE_KEY =
      "taskmanager.network.memory.floating-buffers-per-gate";
  static final int DEFAULT_BUFFERS_PER_CHANNEL = 2;
  static final int DEFAULT_FLOATING_PER_GATE = 8;

  /** Fewer on-CPU samples than this say more about chance than about where the time goes. */
  static final int MIN_FLAME_SAMPLES = 20;

  /** Frames where serialization work happens. */
  private static final Predicate<String> SERIALIZER_FRAME =
      Pattern.compile(
              "com\\.esotericsoftware\\.kryo\\.|KryoSerializer\\.|PojoSerializer\\.|"
                  + "RecordWriter\\.serializeRecord|SpillingAdaptiveSpanningRecordDeserializer|"
                  + "StreamElementSerializer\\.|\\.typeutils\\.runtime\\.")
          .asPredicate();

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
          0.3,
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
          0.3,
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
    return causeAt(previous, s, flames, t, b, upstream, worstVertex, worstBp);
  }

  /**
   * A job that cannot get its network buffers fails (and restarts) with a telltale exception; that
   * settles the cause even without metrics.
   */
  private static Optional<Finding> bufferFailure(JobSnapshot s, Thresholds t) {
    long since = s.takenAt().minus(t.exceptionLookback()).toEpochMilli();
    for (JobFailure f : s.exceptions()) {
      boolean recent = f.timestampMillis() >= since;
      if (recent && (f.mentions(INSUFFICIENT_BUFFERS) || f.mentions(BUFFER_REQUEST_TIMEOUT))) {
        Optional<Vertex> vertex = vertexOfTask(s, f.taskName());
        return Optional.of(
            new Finding(
                true,
                vertex,
                0,
                Cause.TOO_FEW_NETWORK_BUFFERS,
                vertex,
                0.95,
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
                0.8,
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

  private static Finding causeAt(
      Optional<JobSnapshot> previous,
      JobSnapshot s,
      Map<String, FlameGraph> flames,
      Thresholds t,
      Vertex b,
      List<Vertex> upstream,
      Optional<Vertex> worst,
      double worstBp) {
    List<Evidence> ev = new ArrayList<>();
    for (Vertex u : upstream) {
      ev.add(
          measured(
              u,
              VertexMetric.BACK_PRESSURED,
              max(s, u, VertexMetric.BACK_PRESSURED),
              ">=",
              t.backPressuredMsPerSecond()));
    }
    ev.add(
        measured(
            b,
            VertexMetric.BACK_PRESSURED,
            max(s, b, VertexMetric.BACK_PRESSURED),
            "<",
            t.backPressuredMsPerSecond()));
    List<String> notes = new ArrayList<>();
    Optional<Aggregate> busy = s.metric(b.id(), VertexMetric.BUSY);
    if (busy.isEmpty()) {
      notes.add("busy time of '" + b.name() + "' is unknown (Flink reported none or NaN)");
      return finding(Cause.UNKNOWN, b, 0.3, worst, worstBp, ev, notes);
    }
    Aggregate busyTime = busy.get();

    if (busyTime.max() >= t.busyMsPerSecond()) {
      ev.add(measured(b, "busyTimeMsPerSecond (max)", busyTime.max(), ">=", t.busyMsPerSecond()));
      if (b.parallelism() > 1 && busyTime.avg() < t.skewRatio() * busyTime.max()) {
        ev.add(
            measured(
                b,
                "busyTimeMsPerSecond (avg)",
                busyTime.avg(),
                "<",
                t.skewRatio() * busyTime.max()));
        ev.add(measured(b, "busyTimeMsPerSecond (min)", busyTime.min(), "", Double.NaN));
        s.metric(b.id(), VertexMetric.RECORDS_IN)
            .filter(r -> r.avg() > 0)
            .ifPresent(
                r ->
                    ev.add(
                        measured(
                            b,
                            "numRecordsInPerSecond max/avg",
                            r.max() / r.avg(),
                            "",
                            Double.NaN)));
        return finding(Cause.DATA_SKEW, b, 0.85, worst, worstBp, ev, notes);
      }
      ev.add(
          measured(
              b,
              "busyTimeMsPerSecond (avg)",
              busyTime.avg(),
              ">=",
              t.skewRatio() * busyTime.max()));
      // Serialization is work on the CPU: a bottleneck that is waiting off-CPU is blocking, however
      // few samples of its on-CPU flame graph happen to land in serializer frames.
      Optional<Finding> blocking =
          blockingIo(previous, s, t, b, busyTime, worst, worstBp, ev, notes);
      if (blocking.isPresent()) {
        return blocking.get();
      }
      FlameGraph flame = flames.get(b.id());
      if (flame == null) {
        notes.add(
            "no flame graph of '"
                + b.name()
                + "': serialization cost cannot be told from"
                + " other computation (enable rest.flamegraph.enabled to check)");
      } else if (flame.samples() < MIN_FLAME_SAMPLES) {
        notes.add(
            "the flame graph of '"
                + b.name()
                + "' has "
                + flame.samples()
                + " on-CPU samples, fewer than "
                + MIN_FLAME_SAMPLES
                + ": too few to judge serialization cost");
      } else {
        double share = flame.shareOfSamples(SERIALIZER_FRAME);
        if (share >= t.serializationShare()) {
          ev.add(
              measured(
                  b, "on-CPU samples in serializer frames", share, ">=", t.serializationShare()));
          return finding(Cause.SERIALIZATION, b, 0.85, worst, worstBp, ev, notes);
        }
        ev.add(
            measured(b, "on-CPU samples in serializer frames", share, "<", t.serializationShare()));
      }
      return finding(Cause.COMPUTE_BOTTLENECK, b, 0.85, worst, worstBp, ev, notes);
    }

    ev.add(measured(b, "busyTimeMsPerSecond (max)", busyTime.max(), "<", t.busyMsPerSecond()));
    return networkCause(s, t, b, upstream, worst, worstBp, ev, notes);
  }

  /**
   * Busy time counts wall time, so a subtask blocked in a call looks as busy as one computing. The
   * CPU time the TaskManagers burned tells them apart: blocking burns far less than one core per
   * busy subtask, unless the machine is simply out of cores.
   */
  private static Optional<Finding> blockingIo(
      Optional<JobSnapshot> previous,
      JobSnapshot s,
      Thresholds t,
      Vertex b,
      Aggregate busy,
      Optional<Vertex> worst,
      double worstBp,
      List<Evidence> ev,
      List<String> notes) {
    OptionalDouble cores =
        previous.isPresent() ? s.coresUsedSince(previous.get()) : OptionalDouble.empty();
    if (cores.isEmpty()) {
      notes.add("CPU time of the TaskManagers unknown: blocking I/O cannot be told from compute");
      return Optional.empty();
    }
    double busySubtasks = busy.avg() * b.parallelism() / 1000.0;
    double used = cores.getAsDouble();
    int available = s.cpuCores();
    boolean saturated = available > 0 && used >= 0.8 * available;
    if (!saturated && used < t.cpuBoundRatio() * busySubtasks) {
      ev.add(
          measured(
              "taskmanagers", "CPU cores in use", used, "<", t.cpuBoundRatio() * busySubtasks));
      ev.add(
          new Evidence.Observed(
              b.name(),
              Numbers.format(busySubtasks)
                  + " subtasks' worth of busy time"
                  + (available > 0 ? " on " + available + " cores" : "")));
      return Optional.of(finding(Cause.BLOCKING_IO, b, 0.75, worst, worstBp, ev, notes));
    }
    ev.add(
        measured(
            "taskmanagers",
            "CPU cores in use",
            used,
            ">=",
            saturated ? 0.8 * available : t.cpuBoundRatio() * busySubtasks));
    return Optional.empty();
  }

  /** The bottleneck is not busy: data is held up between tasks, not inside one. */
  private static Finding networkCause(
      JobSnapshot s,
      Thresholds t,
      Vertex b,
      List<Vertex> upstream,
      Optional<Vertex> worst,
      double worstBp,
      List<Evidence> ev,
      List<String> notes) {
    Measurements<TaskManagerMetric> tm = s.taskManagers();
    Optional<Aggregate> free = tm.get(TaskManagerMetric.SEGMENTS_AVAILABLE);
    Optional<Aggregate> total = tm.get(TaskManagerMetric.SEGMENTS_TOTAL);
    if (free.isPresent() && total.isPresent() && total.get().sum() > 0) {
      double ratio = free.get().sum() / total.get().sum();
      if (ratio <= t.freeSegmentsRatio()) {
        ev.add(
            measured(
                "taskmanagers", "free network segments share", ratio, "<=", t.freeSegmentsRatio()));
        ev.add(
            new Evidence.Observed(
                "taskmanagers",
                Numbers.format(free.get().sum())
                    + " of "
                    + Numbers.format(total.get().sum())
                    + " network segments free"));
        return finding(Cause.TOO_FEW_NETWORK_BUFFERS, b, 0.85, worst, worstBp, ev, notes);
      }
      ev.add(
          measured(
              "taskmanagers", "free network segments share", ratio, ">", t.freeSegmentsRatio()));
    } else {
      notes.add("TaskManager network segment metrics unknown");
    }

    double outPool =
        upstream.stream()
            .mapToDouble(u -> max(s, u, VertexMetric.OUT_POOL_USAGE))
            .max()
            .orElse(Double.NaN);
    boolean sendersFull = outPool >= t.poolFullUsage();
    if (!Double.isNaN(outPool)) {
      ev.add(
          measured(
              upstream.get(0),
              "outPoolUsage (max over inputs)",
              outPool,
              sendersFull ? ">=" : "<",
              t.poolFullUsage()));
    }

    if (s.flinkVersion().hasPerChannelBufferKeys()) {
      int perChannel = intConfig(s, BUFFERS_PER_CHANNEL_KEY, DEFAULT_BUFFERS_PER_CHANNEL);
      int floating = intConfig(s, FLOATING_PER_GATE_KEY, DEFAULT_FLOATING_PER_GATE);
      if (sendersFull
          && (perChannel < DEFAULT_BUFFERS_PER_CHANNEL || floating < DEFAULT_FLOATING_PER_GATE)) {
        ev.add(
            measured(
                "configuration",
                BUFFERS_PER_CHANNEL_KEY,
                perChannel,
                perChannel < DEFAULT_BUFFERS_PER_CHANNEL ? "<" : ">=",
                DEFAULT_BUFFERS_PER_CHANNEL));
        ev.add(
            measured(
                "configuration",
                FLOATING_PER_GATE_KEY,
                floating,
                floating < DEFAULT_FLOATING_PER_GATE ? "<" : ">=",
                DEFAULT_FLOATING_PER_GATE));
        return finding(Cause.BUFFERS_PER_CHANNEL, b, 0.8, worst, worstBp, ev, notes);
      }
    }

    double remote = avg(s, b, VertexMetric.BYTES_IN_REMOTE);
    Optional<Aggregate> inPool = s.metric(b.id(), VertexMetric.IN_POOL_USAGE);
    if (sendersFull && remote > 0 && inPool.isPresent()) {
      double in = inPool.get().max();
      if (in >= t.poolFullUsage()) {
        ev.add(measured(b, "inPoolUsage (max)", in, ">=", t.poolFullUsage()));
        return finding(Cause.TOO_FEW_NETWORK_BUFFERS, b, 0.6, worst, worstBp, ev, notes);
      }
      if (in <= t.poolEmptyUsage()) {
        ev.add(measured(b, "inPoolUsage (max)", in, "<=", t.poolEmptyUsage()));
        ev.add(measured(b, "numBytesInRemotePerSecond (avg)", remote, ">", 0));
        return finding(Cause.NETWORK_LATENCY, b, 0.6, worst, worstBp, ev, notes);
      }
      ev.add(measured(b, "inPoolUsage (max)", in, "", Double.NaN));
    } else if (remote <= 0 || Double.isNaN(remote)) {
      notes.add(
          "'"
              + b.name()
              + "' receives over local channels only, whose input pool usage"
              + " Flink does not report");
    }
    return finding(Cause.UNKNOWN, b, 0.3, worst, worstBp, ev, notes);
  }

  private static Finding finding(
      Cause cause,
      Vertex b,
      double confidence,
      Optional<Vertex> worst,
      double worstBp,
      List<Evidence> ev,
      List<String> notes) {
    return new Finding(true, worst, worstBp, cause, Optional.of(b), confidence, ev, notes);
  }

  private static Optional<Vertex> vertexOfTask(JobSnapshot s, String taskName) {
    if (taskName == null) {
      return Optional.empty();
    }
    return s.graph().vertices().stream()
        .filter(v -> taskName.startsWith(v.name()))
        .max(Comparator.comparingInt(v -> v.name().length()));
  }

  private static int intConfig(JobSnapshot s, String key, int fallback) {
    try {
      return s.config(key).map(String::trim).map(Integer::parseInt).orElse(fallback);
    } catch (NumberFormatException e) {
      return fallback;
    }
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

  private static Evidence measured(
      Vertex v, String metric, double value, String relation, double threshold) {
    return new Evidence.Measured(v.name(), metric, value, relation, threshold);
  }

  private static Evidence measured(
      String subject, String metric, double value, String relation, double threshold) {
    return new Evidence.Measured(subject, metric, value, relation, threshold);
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "…";
  }
}
