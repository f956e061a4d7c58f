package dev.backpressure.remediation;

import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Numbers;
import dev.backpressure.flink.Aggregate;
import dev.backpressure.flink.FlinkOptions;
import dev.backpressure.flink.FlinkVersion;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.Vertex;
import dev.backpressure.flink.VertexMetric;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The planner's scaling half: how far to raise the bottleneck's parallelism, and how to say it so
 * that the Flink version and scheduler at hand really run it. Pure, as {@link Planner}.
 */
final class ScalePlanner {

  private ScalePlanner() {}

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
            + Planner.pct(busyShare)
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
    if (inputWait >= Planner.UNKNOWN_DEMAND_BACKPRESSURE) {
      wanted = stepCap;
      math.add(
          "its inputs wait "
              + Planner.pct(inputWait)
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
              + Planner.pct(inputWait)
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
          Planner.concat(
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
        return overridesDropped(d, b, deployment, advice, Planner.concat(math, networkMath));
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
    return Planner.withNetwork(
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
    Map<String, Integer> parallelism = Planner.parallelismOf(s);
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
    return Planner.networkFor(
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
                deployment.effectiveConfiguration().getOrDefault(Planner.SCHEDULER, "").trim());
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
        Planner.concat(
            advice,
            List.of(
                (adaptive
                        ? "keep in-place scaling on (" + Planner.IN_PLACE_SCALING + ": true)"
                        : "run the job on the adaptive scheduler ("
                            + Planner.SCHEDULER
                            + ": adaptive)")
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
        "adaptive".equalsIgnoreCase(config.getOrDefault(Planner.SCHEDULER, "").trim())
            && !"false".equalsIgnoreCase(config.getOrDefault(Planner.IN_PLACE_SCALING, "").trim());
    return !inPlace;
  }
}
