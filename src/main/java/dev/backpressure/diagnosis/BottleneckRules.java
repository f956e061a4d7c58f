package dev.backpressure.diagnosis;

import dev.backpressure.flink.Aggregate;
import dev.backpressure.flink.FlameGraph;
import dev.backpressure.flink.FlinkOptions;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.Measurements;
import dev.backpressure.flink.TaskManagerMetric;
import dev.backpressure.flink.Vertex;
import dev.backpressure.flink.VertexMetric;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The rules that name the cause once the bottleneck is found: is it busy (computing, skewed,
 * serializing, blocked in calls) or not (the network between tasks). Pure, as {@link
 * SnapshotRules}, which finds the bottleneck.
 */
final class BottleneckRules {

  /** Fewer on-CPU samples than this say more about chance than about where the time goes. */
  static final int MIN_FLAME_SAMPLES = 20;

  /** Frames where serialization work happens. */
  private static final Predicate<String> SERIALIZER_FRAME =
      Pattern.compile(
              "com\\.esotericsoftware\\.kryo\\.|KryoSerializer\\.|PojoSerializer\\.|"
                  + "RecordWriter\\.serializeRecord|SpillingAdaptiveSpanningRecordDeserializer|"
                  + "StreamElementSerializer\\.|\\.typeutils\\.runtime\\.")
          .asPredicate();

  private BottleneckRules() {}

  /**
   * What every rule at the bottleneck reads, and the evidence and notes they gather on the way.
   *
   * @param b the bottleneck
   * @param upstream its backpressured inputs
   * @param worst the most backpressured vertex of the job, and {@code worstBp} its figure
   */
  record Scene(
      Optional<JobSnapshot> previous,
      JobSnapshot s,
      Map<String, FlameGraph> flames,
      Thresholds t,
      Vertex b,
      List<Vertex> upstream,
      Optional<Vertex> worst,
      double worstBp,
      List<Evidence> ev,
      List<String> notes) {

    Scene(
        Optional<JobSnapshot> previous,
        JobSnapshot s,
        Map<String, FlameGraph> flames,
        Thresholds t,
        Vertex b,
        List<Vertex> upstream,
        Optional<Vertex> worst,
        double worstBp) {
      this(
          previous,
          s,
          flames,
          t,
          b,
          upstream,
          worst,
          worstBp,
          new ArrayList<>(),
          new ArrayList<>());
    }

    Finding finding(Cause cause, Confidence confidence) {
      return new Finding(true, worst, worstBp, cause, Optional.of(b), confidence.value, ev, notes);
    }

    void measured(Vertex v, String metric, double value, String relation, double threshold) {
      ev.add(new Evidence.Measured(v.name(), metric, value, relation, threshold));
    }

    void measured(String subject, String metric, double value, String relation, double threshold) {
      ev.add(new Evidence.Measured(subject, metric, value, relation, threshold));
    }

    double max(Vertex v, VertexMetric m) {
      return s.metric(v.id(), m).map(Aggregate::max).orElse(Double.NaN);
    }

    double avg(Vertex v, VertexMetric m) {
      return s.metric(v.id(), m).map(Aggregate::avg).orElse(Double.NaN);
    }
  }

  static Finding causeAt(Scene c) {
    Thresholds t = c.t();
    Vertex b = c.b();
    String bp = VertexMetric.BACK_PRESSURED.flinkName();
    for (Vertex u : c.upstream()) {
      c.measured(u, bp, c.max(u, VertexMetric.BACK_PRESSURED), ">=", t.backPressuredMsPerSecond());
    }
    c.measured(b, bp, c.max(b, VertexMetric.BACK_PRESSURED), "<", t.backPressuredMsPerSecond());
    Optional<Aggregate> busy = c.s().metric(b.id(), VertexMetric.BUSY);
    if (busy.isEmpty()) {
      c.notes().add("busy time of '" + b.name() + "' is unknown (Flink reported none or NaN)");
      return c.finding(Cause.UNKNOWN, Confidence.UNKNOWN);
    }
    Aggregate busyTime = busy.get();
    if (busyTime.max() < t.busyMsPerSecond()) {
      c.measured(b, "busyTimeMsPerSecond (max)", busyTime.max(), "<", t.busyMsPerSecond());
      return networkCause(c);
    }
    c.measured(b, "busyTimeMsPerSecond (max)", busyTime.max(), ">=", t.busyMsPerSecond());
    if (b.parallelism() > 1 && busyTime.avg() < t.skewRatio() * busyTime.max()) {
      c.measured(
          b, "busyTimeMsPerSecond (avg)", busyTime.avg(), "<", t.skewRatio() * busyTime.max());
      c.measured(b, "busyTimeMsPerSecond (min)", busyTime.min(), "", Double.NaN);
      c.s()
          .metric(b.id(), VertexMetric.RECORDS_IN)
          .filter(r -> r.avg() > 0)
          .ifPresent(
              r ->
                  c.measured(
                      b, "numRecordsInPerSecond max/avg", r.max() / r.avg(), "", Double.NaN));
      return c.finding(Cause.DATA_SKEW, Confidence.MEASURED);
    }
    c.measured(
        b, "busyTimeMsPerSecond (avg)", busyTime.avg(), ">=", t.skewRatio() * busyTime.max());
    // Serialization is work on the CPU: a bottleneck that is waiting off-CPU is blocking, however
    // few samples of its on-CPU flame graph happen to land in serializer frames.
    if (blockedInCalls(c, busyTime)) {
      return c.finding(Cause.BLOCKING_IO, Confidence.INFERRED_FROM_CPU);
    }
    return serializing(c)
        ? c.finding(Cause.SERIALIZATION, Confidence.MEASURED)
        : c.finding(Cause.COMPUTE_BOTTLENECK, Confidence.MEASURED);
  }

  /**
   * Busy time counts wall time, so a subtask blocked in a call looks as busy as one computing. The
   * CPU time the TaskManagers burned tells them apart: blocking burns far less than one core per
   * busy subtask, unless the machine is simply out of cores.
   */
  private static boolean blockedInCalls(Scene c, Aggregate busy) {
    OptionalDouble cores =
        c.previous().isPresent()
            ? c.s().coresUsedSince(c.previous().get())
            : OptionalDouble.empty();
    if (cores.isEmpty()) {
      c.notes()
          .add("CPU time of the TaskManagers unknown: blocking I/O cannot be told from compute");
      return false;
    }
    double busySubtasks = busy.avg() * c.b().parallelism() / 1000.0;
    double used = cores.getAsDouble();
    int available = c.s().cpuCores();
    boolean saturated = available > 0 && used >= 0.8 * available;
    double bar = c.t().cpuBoundRatio() * busySubtasks;
    if (!saturated && used < bar) {
      c.measured("taskmanagers", "CPU cores in use", used, "<", bar);
      c.ev()
          .add(
              new Evidence.Observed(
                  c.b().name(),
                  Numbers.format(busySubtasks)
                      + " subtasks' worth of busy time"
                      + (available > 0 ? " on " + available + " cores" : "")));
      return true;
    }
    c.measured("taskmanagers", "CPU cores in use", used, ">=", saturated ? 0.8 * available : bar);
    return false;
  }

  /** Whether the bottleneck's on-CPU flame graph shows mostly serializer frames. */
  private static boolean serializing(Scene c) {
    Vertex b = c.b();
    FlameGraph flame = c.flames().get(b.id());
    if (flame == null) {
      c.notes()
          .add(
              "no flame graph of '"
                  + b.name()
                  + "': serialization cost cannot be told from"
                  + " other computation (enable rest.flamegraph.enabled to check)");
      return false;
    }
    if (flame.samples() < MIN_FLAME_SAMPLES) {
      c.notes()
          .add(
              "the flame graph of '"
                  + b.name()
                  + "' has "
                  + flame.samples()
                  + " on-CPU samples, fewer than "
                  + MIN_FLAME_SAMPLES
                  + ": too few to judge serialization cost");
      return false;
    }
    double share = flame.shareOfSamples(SERIALIZER_FRAME);
    boolean over = share >= c.t().serializationShare();
    c.measured(
        b,
        "on-CPU samples in serializer frames",
        share,
        over ? ">=" : "<",
        c.t().serializationShare());
    return over;
  }

  /** The bottleneck is not busy: data is held up between tasks, not inside one. */
  private static Finding networkCause(Scene c) {
    JobSnapshot s = c.s();
    Thresholds t = c.t();
    Vertex b = c.b();
    Measurements<TaskManagerMetric> tm = s.taskManagers();
    Optional<Aggregate> free = tm.get(TaskManagerMetric.SEGMENTS_AVAILABLE);
    Optional<Aggregate> total = tm.get(TaskManagerMetric.SEGMENTS_TOTAL);
    if (free.isPresent() && total.isPresent() && total.get().sum() > 0) {
      double ratio = free.get().sum() / total.get().sum();
      if (ratio <= t.freeSegmentsRatio()) {
        c.measured(
            "taskmanagers", "free network segments share", ratio, "<=", t.freeSegmentsRatio());
        c.ev()
            .add(
                new Evidence.Observed(
                    "taskmanagers",
                    Numbers.format(free.get().sum())
                        + " of "
                        + Numbers.format(total.get().sum())
                        + " network segments free"));
        return c.finding(Cause.TOO_FEW_NETWORK_BUFFERS, Confidence.MEASURED);
      }
      c.measured("taskmanagers", "free network segments share", ratio, ">", t.freeSegmentsRatio());
    } else {
      c.notes().add("TaskManager network segment metrics unknown");
    }

    double outPool =
        c.upstream().stream()
            .mapToDouble(u -> c.max(u, VertexMetric.OUT_POOL_USAGE))
            .max()
            .orElse(Double.NaN);
    boolean sendersFull = outPool >= t.poolFullUsage();
    if (!Double.isNaN(outPool)) {
      c.measured(
          c.upstream().get(0),
          "outPoolUsage (max over inputs)",
          outPool,
          sendersFull ? ">=" : "<",
          t.poolFullUsage());
    }
    if (sendersFull && s.flinkVersion().hasPerChannelBufferKeys() && perChannelBelowDefaults(c)) {
      return c.finding(Cause.BUFFERS_PER_CHANNEL, Confidence.SHAPE_AND_SETTING);
    }

    double remote = c.avg(b, VertexMetric.BYTES_IN_REMOTE);
    Optional<Aggregate> inPool = s.metric(b.id(), VertexMetric.IN_POOL_USAGE);
    if (sendersFull && remote > 0 && inPool.isPresent()) {
      double in = inPool.get().max();
      if (in >= t.poolFullUsage()) {
        c.measured(b, "inPoolUsage (max)", in, ">=", t.poolFullUsage());
        return c.finding(Cause.TOO_FEW_NETWORK_BUFFERS, Confidence.POOLS_ONLY);
      }
      if (in <= t.poolEmptyUsage()) {
        c.measured(b, "inPoolUsage (max)", in, "<=", t.poolEmptyUsage());
        c.measured(b, "numBytesInRemotePerSecond (avg)", remote, ">", 0);
        return c.finding(Cause.NETWORK_LATENCY, Confidence.POOLS_ONLY);
      }
      c.measured(b, "inPoolUsage (max)", in, "", Double.NaN);
    } else if (remote <= 0 || Double.isNaN(remote)) {
      c.notes()
          .add(
              "'"
                  + b.name()
                  + "' receives over local channels only, whose input pool usage"
                  + " Flink does not report");
    }
    return c.finding(Cause.UNKNOWN, Confidence.UNKNOWN);
  }

  /** Whether the per-channel buffer keys (Flink 1.x) are set below Flink's own defaults. */
  private static boolean perChannelBelowDefaults(Scene c) {
    int perChannel = FlinkOptions.BUFFERS_PER_CHANNEL.intIn(c.s().configuration());
    int floating = FlinkOptions.FLOATING_BUFFERS_PER_GATE.intIn(c.s().configuration());
    int perChannelDefault = FlinkOptions.BUFFERS_PER_CHANNEL.defaultInt();
    int floatingDefault = FlinkOptions.FLOATING_BUFFERS_PER_GATE.defaultInt();
    if (perChannel >= perChannelDefault && floating >= floatingDefault) {
      return false;
    }
    c.measured(
        "configuration",
        FlinkOptions.BUFFERS_PER_CHANNEL.key(),
        perChannel,
        perChannel < perChannelDefault ? "<" : ">=",
        perChannelDefault);
    c.measured(
        "configuration",
        FlinkOptions.FLOATING_BUFFERS_PER_GATE.key(),
        floating,
        floating < floatingDefault ? "<" : ">=",
        floatingDefault);
    return true;
  }
}
