package dev.backpressure.remediation;

import dev.backpressure.diagnosis.Cause;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Numbers;
import dev.backpressure.flink.Aggregate;
import dev.backpressure.flink.FlinkOptions;
import dev.backpressure.flink.FlinkVersion;
import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.TaskManagerMetric;
import dev.backpressure.flink.Vertex;
import dev.backpressure.flink.VertexMetric;
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
      case COMPUTE_BOTTLENECK -> scale(d, latest, deployment, limits, List.of());
      case BLOCKING_IO ->
          scale(
              d,
              latest,
              deployment,
              limits,
              List.of(
                  "move the blocking call to Flink's async I/O (AsyncDataStream) or batch it:"
                      + " more subtasks help only until the external system saturates"));
      case SERIALIZATION ->
          limits.allowScaleForSerialization()
              ? scale(d, latest, deployment, limits, serializationAdvice())
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
   * The new parallelism of the bottleneck: its subtasks are busy {@code busy} of each second at
   * parallelism {@code p}; its inputs wait {@code bp} of each second, so unthrottled they would
   * send {@code 1 / (1 - bp)} times as much. At a target utilization {@code u}: {@code p' = ceil(p
   * × busy × 1/(1 - bp) / u)}. Worked: p=2, busy=0.9, bp=0.6, u=0.7 → ceil(2 × 0.9 × 2.5 / 0.7) =
   * ceil(6.43) = 7.
   */
  static Plan scale(
      Diagnosis d,
      JobSnapshot s,
      DeploymentView deployment,
      RemedyLimits limits,
      List<String> advice) {
    Vertex b = d.bottleneck().orElseThrow();
    int p = b.parallelism();
    List<String> math = new ArrayList<>();
    Optional<Aggregate> busy = s.metric(b.id(), VertexMetric.BUSY);
    if (busy.isEmpty() || p < 1) {
      return new Plan.Advice(
          d.cause(),
          d.bottleneck(),
          "busy time of " + b.name() + " unknown: cannot size a parallelism change",
          advice,
          math);
    }
    double busyShare = busy.get().avg() / 1000.0;
    double inputWait =
        s.graph().inputsOf(b.id()).stream()
            .mapToDouble(
                in ->
                    s.metric(in.id(), VertexMetric.BACK_PRESSURED).map(Aggregate::avg).orElse(0.0)
                        / 1000.0)
            .max()
            .orElse(0);
    int stepCap = (int) Math.floor(p * limits.maxStepFactor());
    int wanted;
    math.add(
        b.name()
            + ": parallelism "
            + p
            + ", busy "
            + Numbers.format(busy.get().avg())
            + " ms/s ("
            + pct(busyShare)
            + ")");
    s.metric(b.id(), VertexMetric.RECORDS_IN)
        .filter(r -> r.sum() > 0 && busyShare > 0)
        .ifPresent(
            r ->
                math.add(
                    "processes "
                        + Numbers.format(r.sum())
                        + " records/s, "
                        + Numbers.format(r.sum() / p / busyShare)
                        + " per subtask per busy second"));
    if (inputWait >= UNKNOWN_DEMAND_BACKPRESSURE) {
      wanted = stepCap;
      math.add(
          "its inputs wait "
              + pct(inputWait)
              + " of the time, so how fast they could send"
              + " is unknown: take the largest step, "
              + p
              + " × "
              + Numbers.format(limits.maxStepFactor())
              + " = "
              + stepCap);
    } else {
      double demand = 1 / (1 - inputWait);
      wanted = (int) Math.ceil(p * busyShare * demand / limits.targetUtilization() - 1e-9);
      math.add(
          "its inputs wait "
              + pct(inputWait)
              + " of the time: unthrottled they send "
              + Numbers.format(demand)
              + "× as much");
      math.add(
          "ceil("
              + p
              + " × "
              + Numbers.format(busyShare)
              + " × "
              + Numbers.format(demand)
              + " / "
              + Numbers.format(limits.targetUtilization())
              + " target utilization) = "
              + wanted);
    }
    int bounded = Math.min(wanted, stepCap);
    bounded = Math.min(bounded, limits.maxParallelism());
    if (b.maxParallelism() > 0) {
      bounded = Math.min(bounded, b.maxParallelism());
    }
    if (bounded != wanted) {
      math.add(
          "bounded to "
              + bounded
              + " (step ×"
              + Numbers.format(limits.maxStepFactor())
              + " → "
              + stepCap
              + ", policy max "
              + limits.maxParallelism()
              + (b.maxParallelism() > 0 ? ", key groups " + b.maxParallelism() : "")
              + ")");
    }
    if (bounded <= p) {
      return new Plan.Advice(
          d.cause(),
          d.bottleneck(),
          b.name() + " is already at its parallelism limit (" + p + ")",
          concat(
              advice,
              List.of(
                  "raise the policy's maxParallelism or the job's max parallelism,"
                      + " or make "
                      + b.name()
                      + " cheaper per record")),
          math);
    }

    List<SettingChange> changes = new ArrayList<>();
    boolean wholeJob;
    if (deployment.flinkVersion().isKnown()
        && deployment.flinkVersion().compareTo(FlinkVersion.parse("1.17")) < 0) {
      wholeJob = true;
      math.add(
          "Flink "
              + deployment.flinkVersion()
              + " has no per-vertex overrides: the whole job"
              + " goes to "
              + bounded);
    } else if (overridesIgnoredAtSubmission(deployment)) {
      if (p != deployment.jobParallelism()) {
        return overridesDropped(d, b, deployment, advice, math);
      }
      wholeJob = true;
      math.add(overridesDroppedReason(deployment, b, bounded));
    } else {
      wholeJob = false;
    }

    // The scaled graph needs more buffers on every TaskManager; a scale-up that dies with
    // "Insufficient number of network buffers" is the failure this plan must not cause.
    List<String> networkMath = new ArrayList<>();
    Optional<NetworkMemoryPlanner.Outcome> more =
        networkFor(s, scaled(s, deployment, b, bounded, wholeJob), deployment, limits, networkMath);
    if (!wholeJob
        && deployment.flinkVersion().compareTo(FlinkVersion.parse("2.0")) >= 0
        && more.map(o -> !o.changes().isEmpty()).orElse(false)) {
      // A memory change makes the rollout a full upgrade even on the adaptive scheduler, and a
      // full upgrade of Flink 2.x drops the override.
      if (p != deployment.jobParallelism()) {
        return overridesDropped(d, b, deployment, advice, concat(math, networkMath));
      }
      wholeJob = true;
      math.add(
          "the network memory it needs makes this a full upgrade, not an in-place rescale: "
              + overridesDroppedReason(deployment, b, bounded));
      networkMath.clear();
      more =
          networkFor(s, scaled(s, deployment, b, bounded, true), deployment, limits, networkMath);
    }
    math.addAll(networkMath);
    if (wholeJob) {
      changes.add(jobParallelism(deployment, bounded));
    } else {
      Optional<String> current = deployment.spec(ParallelismOverrides.KEY);
      changes.add(
          SettingChange.config(
              ParallelismOverrides.KEY,
              current,
              ParallelismOverrides.with(current.orElse(""), b.id(), bounded)));
    }
    return withNetwork(
        d,
        more,
        changes,
        math,
        advice,
        "scaling " + b.name() + " to " + bounded,
        "scale " + b.name() + " from " + p + " to " + bounded);
  }

  /**
   * Each vertex's parallelism after the change: the bottleneck's, or, when the job's parallelism
   * changes, every vertex that runs at the spec's job parallelism (a vertex set in code to the same
   * value is counted too, which can only ask for more buffers).
   */
  private static Map<String, Integer> scaled(
      JobSnapshot s, DeploymentView deployment, Vertex b, int to, boolean wholeJob) {
    Map<String, Integer> parallelism = parallelismOf(s);
    if (wholeJob) {
      parallelism.replaceAll((id, now) -> now == deployment.jobParallelism() ? to : now);
    }
    parallelism.put(b.id(), to);
    return parallelism;
  }

  /** {@link #networkFor} with the per-channel buffers the deployment runs with. */
  private static Optional<NetworkMemoryPlanner.Outcome> networkFor(
      JobSnapshot s,
      Map<String, Integer> parallelism,
      DeploymentView deployment,
      RemedyLimits limits,
      List<String> math) {
    return networkFor(
        s,
        parallelism,
        FlinkOptions.BUFFERS_PER_CHANNEL.intIn(deployment.effectiveConfiguration()),
        FlinkOptions.FLOATING_BUFFERS_PER_GATE.intIn(deployment.effectiveConfiguration()),
        deployment,
        limits,
        math);
  }

  private static String overridesDroppedReason(DeploymentView deployment, Vertex b, int to) {
    return "Flink "
        + deployment.flinkVersion()
        + " ignores per-vertex overrides given at submission (FLINK-38770) and the job restarts"
        + " (no in-place rescale): the job's parallelism, which "
        + b.name()
        + " follows, goes to "
        + to
        + " (so do the other vertices that follow it)";
  }

  private static Plan.Advice overridesDropped(
      Diagnosis d, Vertex b, DeploymentView deployment, List<String> advice, List<String> math) {
    boolean adaptive =
        "adaptive"
            .equalsIgnoreCase(
                deployment.effectiveConfiguration().getOrDefault(SCHEDULER, "").trim());
    return new Plan.Advice(
        d.cause(),
        d.bottleneck(),
        "Flink "
            + deployment.flinkVersion()
            + " ignores per-vertex parallelism overrides when a job restarts (FLINK-38770), and "
            + b.name()
            + (deployment.jobParallelism() > 0
                ? " does not follow the job's parallelism ("
                    + b.parallelism()
                    + " ≠ "
                    + deployment.jobParallelism()
                    + ")"
                : " cannot be scaled through spec.job.parallelism, which is unset"),
        concat(
            advice,
            List.of(
                (adaptive
                        ? "keep in-place scaling on (" + IN_PLACE_SCALING + ": true)"
                        : "run the job on the adaptive scheduler (" + SCHEDULER + ": adaptive)")
                    + ", so that the Flink operator rescales it in place, or raise "
                    + b.name()
                    + "'s parallelism in the job's code")),
        math);
  }

  private static SettingChange jobParallelism(DeploymentView deployment, int to) {
    return new SettingChange(
        Setting.JOB_PARALLELISM,
        Setting.JOB_PARALLELISM.path(),
        Optional.of(Integer.toString(deployment.jobParallelism())),
        Integer.toString(to));
  }

  /**
   * Whether a restart would drop per-vertex overrides: Flink 2.0 to at least 2.3 apply {@code
   * pipeline.jobvertex-parallelism-overrides} only to a submitted JobGraph, and their clients
   * submit a StreamGraph (FLINK-38770; seen on a real Flink 2.1.1). On the adaptive scheduler the
   * Flink operator applies an overrides-only change in place, through the running job's resource
   * requirements, which Flink 2.x honours.
   */
  static boolean overridesIgnoredAtSubmission(DeploymentView deployment) {
    if (!deployment.flinkVersion().isKnown()
        || deployment.flinkVersion().compareTo(FlinkVersion.parse("2.0")) < 0) {
      return false;
    }
    Map<String, String> config = deployment.effectiveConfiguration();
    boolean inPlace =
        "adaptive".equalsIgnoreCase(config.getOrDefault(SCHEDULER, "").trim())
            && !"false".equalsIgnoreCase(config.getOrDefault(IN_PLACE_SCALING, "").trim());
    return !inPlace;
  }

  /**
   * The change with the network memory its graph needs added, or advice when that memory is more
   * than the limits allow: a change that cannot start is worse than none.
   */
  private static Plan withNetwork(
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
  private static Optional<NetworkMemoryPlanner.Outcome> networkFor(
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

  private static Map<String, Integer> parallelismOf(JobSnapshot s) {
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

  private static String name(Optional<Vertex> v) {
    return v.map(Vertex::name).orElse("the bottleneck");
  }

  private static String pct(double share) {
    return Math.round(share * 100) + "%";
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
