package dev.backpressure.remediation;

import dev.backpressure.diagnosis.Cause;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.flink.FlinkOptions;
import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.TaskManagerMetric;
import dev.backpressure.flink.Vertex;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a diagnosis into the smallest change that one restart makes work, or into advice where no
 * configuration change fixes the cause. Pure: the diagnosis, the latest snapshot (for rates), the
 * deployment and the policy's limits in; a {@link Plan} out, with its arithmetic spelled out.
 */
public final class Planner {

  static final String BUFFERS_PER_CHANNEL = FlinkOptions.BUFFERS_PER_CHANNEL.key();
  static final String FLOATING_PER_GATE = FlinkOptions.FLOATING_BUFFERS_PER_GATE.key();
  static final String SCHEDULER = FlinkOptions.SCHEDULER.key();
  static final String IN_PLACE_SCALING = "kubernetes.operator.job.upgrade.inplace-scaling.enabled";

  /** Upstream waiting this share of the time or more tells nothing of how fast it could go. */
  static final double UNKNOWN_DEMAND_BACKPRESSURE = 0.95;

  private static final Pattern INSUFFICIENT =
      Pattern.compile(
          "required (\\d+), but only (\\d+) available\\. The total number of network buffers is"
              + " currently set to (\\d+) of (\\d+) bytes each");

  private Planner() {}

  public static Plan plan(
      Diagnosis d, JobSnapshot latest, DeploymentView deployment, RemedyLimits limits) {
    boolean failing = d.cause() == Cause.TOO_FEW_NETWORK_BUFFERS && !latest.hasMetrics();
    if (!d.actionable() && !failing) {
      return new Plan.NoAction(
          d.cause(),
          d.symptom().sustained()
              ? "backpressure of unknown cause: nothing to change until the evidence is clear"
              : "no sustained backpressure: nothing to change");
    }
    Optional<Vertex> target = d.bottleneck();
    return switch (d.cause()) {
      case COMPUTE_BOTTLENECK -> ScalePlanner.scale(d, latest, deployment, limits, List.of());
      case BLOCKING_IO ->
          ScalePlanner.scale(
              d,
              latest,
              deployment,
              limits,
              List.of(
                  "move the blocking call to Flink's async I/O (AsyncDataStream) or batch it:"
                      + " more subtasks help only until the external system saturates"));
      case SERIALIZATION ->
          limits.allowScaleForSerialization()
              ? ScalePlanner.scale(d, latest, deployment, limits, serializationAdvice())
              : new Plan.Advice(
                  d.cause(),
                  target,
                  "serializers dominate the CPU of "
                      + name(target)
                      + ": fix the types, do not scale",
                  serializationAdvice(),
                  List.of());
      case DATA_SKEW ->
          new Plan.Advice(
              d.cause(),
              target,
              "one or a few subtasks of "
                  + name(target)
                  + " carry most of the records: more"
                  + " parallelism would not reach them",
              List.of(
                  "find the hot keys (records-in per subtask of " + name(target) + ")",
                  "spread them: salt the key and aggregate in two steps (local pre-aggregation,"
                      + " then the global one)",
                  "if the keyBy is only for spreading load, use rebalance() instead"),
              List.of());
      case NETWORK_LATENCY ->
          new Plan.Advice(
              d.cause(),
              target,
              "data waits between TaskManagers, not in a task: no Flink setting fixes a network",
              List.of(
                  "check packet loss and latency between the TaskManager pods (node placement,"
                      + " CNI, cross-zone traffic)",
                  "enable buffer debloating (taskmanager.network.memory.buffer-debloat.enabled)"
                      + " to keep in-flight data small if checkpoints are slow"),
              List.of());
      case CYCLIC_DEADLOCK -> cyclic(d, latest, deployment, limits);
      case TOO_FEW_NETWORK_BUFFERS -> networkMemory(d, latest, deployment, limits);
      case BUFFERS_PER_CHANNEL -> perChannel(d, latest, deployment, limits);
      case HEALTHY, UNKNOWN -> new Plan.NoAction(d.cause(), "nothing to change");
    };
  }

  /**
   * The change with the network memory its graph needs added, or advice when that memory is more
   * than the limits allow: a change that cannot start is worse than none.
   */
  static Plan withNetwork(
      Diagnosis d,
      Optional<NetworkMemoryPlanner.Outcome> more,
      List<SettingChange> changes,
      List<String> math,
      List<String> advice,
      String refused,
      String summary) {
    if (more.isPresent() && more.get().refusal().isPresent()) {
      return new Plan.Advice(
          d.cause(),
          d.bottleneck(),
          refused + " needs more network memory than allowed",
          concat(advice, List.of(more.get().refusal().get())),
          math);
    }
    more.ifPresent(o -> changes.addAll(o.changes()));
    return new Plan.Change(d.cause(), d.bottleneck(), changes, math, advice, summary);
  }

  private static Plan networkMemory(
      Diagnosis d, JobSnapshot s, DeploymentView deployment, RemedyLimits limits) {
    List<String> math = new ArrayList<>();
    MemorySize segment = segmentSize(deployment);
    long target;
    Optional<long[]> failure = insufficientBuffers(s);
    if (failure.isPresent()) {
      long[] f = failure.get();
      // required r, available a, total t: the pools already hold t - a; this one needs r more.
      long needed = f[2] - f[1] + f[0];
      target = (long) Math.ceil(needed * 1.5);
      segment = new MemorySize(f[3]);
      math.add(
          "Flink asked for "
              + f[0]
              + " buffers with "
              + f[1]
              + " of "
              + f[2]
              + " free: at"
              + " least "
              + needed
              + " needed, "
              + target
              + " with 50% headroom");
      // The exception names only the first pool that came up short; the other tasks in the same
      // TaskManager still want theirs, so the whole graph's need is a floor.
      long graph =
          (long)
              Math.ceil(
                  1.25
                      * NetworkBuffers.perTaskManager(
                          s.graph(),
                          parallelismOf(s),
                          deployment.slotsPerTaskManager(),
                          FlinkOptions.BUFFERS_PER_CHANNEL.intIn(
                              deployment.effectiveConfiguration()),
                          FlinkOptions.FLOATING_BUFFERS_PER_GATE.intIn(
                              deployment.effectiveConfiguration())));
      if (graph > target) {
        math.add(
            "the whole job graph needs about "
                + graph
                + " buffers per TaskManager (25% headroom included): planning for that");
        target = graph;
      }
    } else {
      Optional<Long> total = segmentsPerTaskManager(s);
      if (total.isEmpty()) {
        return new Plan.Advice(
            d.cause(),
            d.bottleneck(),
            "network buffers are short but their number is unknown",
            List.of("raise taskmanager.memory.network.min/max"),
            math);
      }
      target = total.get() * 2;
      math.add(
          "TaskManagers have "
              + total.get()
              + " buffers and almost none free: double to "
              + target);
    }
    MemorySize wanted = roundUpToMebi(segment.times(target));
    NetworkMemoryPlanner.Outcome o = NetworkMemoryPlanner.raiseTo(deployment, wanted, limits);
    math.addAll(o.arithmetic());
    if (o.refusal().isPresent()) {
      return new Plan.Advice(
          d.cause(),
          d.bottleneck(),
          "more network memory is needed than the policy allows",
          List.of(o.refusal().get()),
          math);
    }
    return new Plan.Change(
        d.cause(),
        d.bottleneck(),
        o.changes(),
        math,
        List.of(),
        "raise network memory to " + wanted + " per TaskManager");
  }

  private static Plan perChannel(
      Diagnosis d, JobSnapshot s, DeploymentView deployment, RemedyLimits limits) {
    if (!deployment.flinkVersion().hasPerChannelBufferKeys()) {
      // Flink 2.x hardcodes these values; more network memory is the only lever left.
      return networkMemory(d, s, deployment, limits);
    }
    List<SettingChange> changes = new ArrayList<>();
    List<String> math = new ArrayList<>();
    int perChannel = FlinkOptions.BUFFERS_PER_CHANNEL.intIn(deployment.effectiveConfiguration());
    int floating =
        FlinkOptions.FLOATING_BUFFERS_PER_GATE.intIn(deployment.effectiveConfiguration());
    int perChannelDefault = FlinkOptions.BUFFERS_PER_CHANNEL.defaultInt();
    int floatingDefault = FlinkOptions.FLOATING_BUFFERS_PER_GATE.defaultInt();
    if (perChannel < perChannelDefault) {
      changes.add(
          SettingChange.config(
              BUFFERS_PER_CHANNEL,
              deployment.spec(BUFFERS_PER_CHANNEL),
              String.valueOf(perChannelDefault)));
      math.add(
          BUFFERS_PER_CHANNEL
              + " "
              + perChannel
              + " → "
              + perChannelDefault
              + " (Flink's default: one buffer in flight while the other is filled)");
    }
    if (floating < floatingDefault) {
      changes.add(
          SettingChange.config(
              FLOATING_PER_GATE,
              deployment.spec(FLOATING_PER_GATE),
              String.valueOf(floatingDefault)));
      math.add(FLOATING_PER_GATE + " " + floating + " → " + floatingDefault + " (Flink's default)");
    }
    Optional<NetworkMemoryPlanner.Outcome> more =
        networkFor(
            s,
            parallelismOf(s),
            Math.max(2, perChannel),
            Math.max(8, floating),
            deployment,
            limits,
            math);
    return withNetwork(
        d,
        more,
        changes,
        math,
        List.of(),
        "restoring the per-channel buffers",
        "restore buffers per channel and floating buffers per gate to Flink's defaults");
  }

  private static Plan cyclic(
      Diagnosis d, JobSnapshot s, DeploymentView deployment, RemedyLimits limits) {
    List<String> advice =
        List.of(
            "an iteration whose body emits more records than it consumes fills its feedback queue"
                + " and stops: bound what goes back into the loop (filter, or a counter of rounds)",
            "DataStream.iterate() is deprecated (1.19) and gone in Flink 2.0: move the loop out of"
                + " the stream (state + timers, or an external queue)");
    if (!limits.allowCyclicBufferFix()) {
      return new Plan.Advice(
          d.cause(),
          d.bottleneck(),
          "the feedback loop of the iteration is full: redesign the loop",
          advice,
          List.of());
    }
    Plan more = networkMemory(d, s, deployment, limits);
    if (more instanceof Plan.Change c) {
      return new Plan.Change(
          d.cause(),
          d.bottleneck(),
          c.changes(),
          c.arithmetic(),
          advice,
          c.summary() + " (brittle: delays the next deadlock, allowed by the policy)");
    }
    return more;
  }

  private static List<String> serializationAdvice() {
    return List.of(
        "make the record types POJOs (public class, public no-argument constructor, fields public"
            + " or with getters and setters) so that Flink's PojoSerializer replaces Kryo",
        "set pipeline.generic-types: false in a test run to find every type that falls back to"
            + " Kryo",
        "on Flink 1.19+ declare serializers in pipeline.serialization-config");
  }

  /**
   * More network memory for the graph at the given parallelism, when the TaskManagers would run
   * short of buffers (with 25% headroom); empty when they have enough or their number is unknown.
   */
  static Optional<NetworkMemoryPlanner.Outcome> networkFor(
      JobSnapshot s,
      Map<String, Integer> parallelism,
      int perChannel,
      int floating,
      DeploymentView deployment,
      RemedyLimits limits,
      List<String> math) {
    Optional<Long> have = segmentsPerTaskManager(s);
    if (have.isEmpty()) {
      return Optional.empty();
    }
    long needed =
        NetworkBuffers.perTaskManager(
            s.graph(), parallelism, deployment.slotsPerTaskManager(), perChannel, floating);
    math.add(
        "network buffers per TaskManager after the change: about "
            + needed
            + " needed, "
            + have.get()
            + " configured");
    if (needed <= have.get()) {
      return Optional.empty();
    }
    MemorySize wanted = segmentSize(deployment).times(Math.ceil(needed * 1.25));
    NetworkMemoryPlanner.Outcome o =
        NetworkMemoryPlanner.raiseTo(deployment, roundUpToMebi(wanted), limits);
    math.addAll(o.arithmetic());
    return Optional.of(o);
  }

  static Map<String, Integer> parallelismOf(JobSnapshot s) {
    Map<String, Integer> parallelism = new HashMap<>();
    s.graph().vertices().forEach(v -> parallelism.put(v.id(), v.parallelism()));
    return parallelism;
  }

  /** "required R, but only A available. … set to T of S bytes each" → {R, A, T, S}. */
  static Optional<long[]> insufficientBuffers(JobSnapshot s) {
    for (JobFailure f : s.exceptions()) {
      Matcher m = INSUFFICIENT.matcher(f.stacktrace() == null ? "" : f.stacktrace());
      if (m.find()) {
        return Optional.of(
            new long[] {
              Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
              Long.parseLong(m.group(3)), Long.parseLong(m.group(4))
            });
      }
    }
    return Optional.empty();
  }

  /** Network buffers of one TaskManager, as the TaskManagers report them (average). */
  static Optional<Long> segmentsPerTaskManager(JobSnapshot s) {
    return s.taskManagers()
        .get(TaskManagerMetric.SEGMENTS_TOTAL)
        .map(a -> Math.round(a.avg()))
        .filter(n -> n > 0);
  }

  private static MemorySize segmentSize(DeploymentView d) {
    String v = d.effectiveConfiguration().get(TaskManagerMemoryModel.SEGMENT_SIZE);
    return v == null ? new MemorySize(32 * 1024) : MemorySize.parse(v);
  }

  private static MemorySize roundUpToMebi(MemorySize m) {
    long mb = (m.bytes() + (1 << 20) - 1) >> 20;
    return MemorySize.ofMebiBytes(Math.max(1, mb));
  }

  static String name(Optional<Vertex> v) {
    return v.map(Vertex::name).orElse("the bottleneck");
  }

  static String pct(double share) {
    return Math.round(share * 100) + "%";
  }

  static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
