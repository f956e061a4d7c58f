package dev.backpressure.remediation;

/**
 * A place in a FlinkDeployment this operator may change. Only these: DESIGN.md, "Patches touch only
 * the keys this operator owns".
 */
public enum Setting {
  /** A key of {@code spec.flinkConfiguration}. */
  FLINK_CONFIGURATION("spec.flinkConfiguration"),
  /** {@code spec.job.parallelism}, the fallback when per-vertex overrides cannot work. */
  JOB_PARALLELISM("spec.job.parallelism"),
  /** {@code spec.taskManager.resource.memory}, only when the policy lets TaskManagers grow. */
  TASK_MANAGER_MEMORY("spec.taskManager.resource.memory");

  private final String path;

  Setting(String path) {
    this.path = path;
  }

  public String path() {
    return path;
  }
}
