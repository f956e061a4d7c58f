package dev.backpressure.remediation;

import dev.backpressure.flink.FlinkOptions;
import dev.backpressure.flink.FlinkVersion;
import dev.backpressure.flink.JobSnapshot;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the planner needs to know of a FlinkDeployment, free of Kubernetes types.
 *
 * @param specConfiguration {@code spec.flinkConfiguration} as written: what a change starts from
 * @param effectiveConfiguration what the TaskManagers run with (the spec plus what the Flink
 *     Kubernetes Operator derives, such as the process size from {@code
 *     spec.taskManager.resource.memory}); the memory model reads this
 * @param taskManagerMemory {@code spec.taskManager.resource.memory}, when set
 */
public record DeploymentView(
    FlinkVersion flinkVersion,
    int jobParallelism,
    Map<String, String> specConfiguration,
    Map<String, String> effectiveConfiguration,
    Optional<String> taskManagerMemory) {

  public DeploymentView {
    specConfiguration = Map.copyOf(specConfiguration);
    effectiveConfiguration = Map.copyOf(effectiveConfiguration);
  }

  /** A view from Flink alone (the command line): the cluster's configuration is both. */
  public static DeploymentView fromSnapshot(JobSnapshot s) {
    Map<String, String> config = new HashMap<>(s.configuration());
    return new DeploymentView(
        s.flinkVersion(),
        s.jobParallelism(),
        config,
        config,
        Optional.ofNullable(config.get(TaskManagerMemoryModel.PROCESS_SIZE)));
  }

  public Optional<String> spec(String key) {
    return Optional.ofNullable(specConfiguration.get(key));
  }

  public int slotsPerTaskManager() {
    return FlinkOptions.TASK_SLOTS.intIn(effectiveConfiguration);
  }
}
