package dev.backpressure.remediation;

import java.util.Set;

/**
 * A place in a FlinkDeployment this operator may change; it writes nowhere else, so that what it
 * owns (and what a GitOps tool must leave to it) is this list.
 */
public enum Setting {
  /** A key of {@code spec.flinkConfiguration}. */
  FLINK_CONFIGURATION("spec.flinkConfiguration"),
  /** {@code spec.job.parallelism}, the fallback when per-vertex overrides cannot work. */
  JOB_PARALLELISM("spec.job.parallelism"),
  /** {@code spec.taskManager.resource.memory}, only when the policy lets TaskManagers grow. */
  TASK_MANAGER_MEMORY("spec.taskManager.resource.memory");

  /** The configuration keys a remedy writes; nothing else is ever patched or rolled back. */
  public static final Set<String> OWNED_CONFIGURATION_KEYS =
      Set.of(
          ParallelismOverrides.KEY,
          TaskManagerMemoryModel.NETWORK_MIN,
          TaskManagerMemoryModel.NETWORK_MAX,
          TaskManagerMemoryModel.MANAGED_SIZE,
          Planner.BUFFERS_PER_CHANNEL,
          Planner.FLOATING_PER_GATE);

  private final String path;

  /**
   * Whether the operator may write this change: one of its own configuration keys, or one of the
   * other settings under its own path. A guard state naming anything else was not written by it.
   */
  public static boolean owns(SettingChange c) {
    return c.setting() == FLINK_CONFIGURATION
        ? OWNED_CONFIGURATION_KEYS.contains(c.key())
        : c.key().equals(c.setting().path());
  }

  Setting(String path) {
    this.path = path;
  }

  public String path() {
    return path;
  }
}
