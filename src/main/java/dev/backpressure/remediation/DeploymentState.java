package dev.backpressure.remediation;

import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobState;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the guard sees of a FlinkDeployment at one moment, free of Kubernetes types.
 *
 * @param lifecycleState the Flink Kubernetes Operator's {@code status.lifecycleState} (STABLE, …)
 * @param jobState {@code status.jobStatus.state}
 * @param upgradeMode {@code spec.job.upgradeMode}: stateless, savepoint or last-state
 * @param autoscalerEnabled {@code job.autoscaler.enabled}: Flink's autoscaler owns parallelism
 * @param autoscalerMemoryTuning {@code job.autoscaler.memory.tuning.enabled}: it owns memory too
 * @param ownedValues the current value of every setting a change in flight touches, keyed by {@link
 *     #key(SettingChange)}; absent when unset
 * @param failures the job's recent exceptions (for verification: new failures fail a change)
 * @param running what Flink runs, when the job could be read
 */
public record DeploymentState(
    Lifecycle lifecycleState,
    JobState jobState,
    String upgradeMode,
    boolean autoscalerEnabled,
    boolean autoscalerMemoryTuning,
    Map<String, String> ownedValues,
    List<JobFailure> failures,
    Optional<RunningJob> running) {

  public DeploymentState {
    ownedValues = Map.copyOf(ownedValues);
    failures = List.copyOf(failures);
  }

  public boolean stableAndRunning() {
    return lifecycleState == Lifecycle.STABLE && jobState == JobState.RUNNING;
  }

  public Optional<String> current(SettingChange c) {
    return Optional.ofNullable(ownedValues.get(key(c)));
  }

  public static String key(SettingChange c) {
    return c.setting().path() + "|" + c.key();
  }
}
