package dev.backpressure.operator;

import dev.backpressure.flink.FlinkVersion;
import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.JobState;
import dev.backpressure.remediation.DeploymentState;
import dev.backpressure.remediation.DeploymentView;
import dev.backpressure.remediation.Setting;
import dev.backpressure.remediation.TaskManagerMemoryModel;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;

/**
 * Reads what the pure core needs out of a FlinkDeployment (the Flink Kubernetes Operator's types),
 * so that nothing past this class knows them.
 */
public final class FlinkDeployments {

  /** Where the guard state is kept on the FlinkDeployment. */
  public static final String GUARD_ANNOTATION = "backpressure.dev/guard-state";

  /** Our lifecycle for a spec the Flink operator has not started rolling out yet. */
  public static final String PENDING = "PENDING";

  private FlinkDeployments() {}

  public static Map<String, String> specConfiguration(FlinkDeployment fd) {
    Map<String, String> c = fd.getSpec() == null ? null : fd.getSpec().getFlinkConfiguration();
    return c == null ? Map.of() : c;
  }

  public static Optional<String> taskManagerMemory(FlinkDeployment fd) {
    if (fd.getSpec() == null
        || fd.getSpec().getTaskManager() == null
        || fd.getSpec().getTaskManager().getResource() == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(fd.getSpec().getTaskManager().getResource().getMemory());
  }

  public static int jobParallelism(FlinkDeployment fd) {
    return fd.getSpec() == null || fd.getSpec().getJob() == null
        ? -1
        : fd.getSpec().getJob().getParallelism();
  }

  /**
   * The planner's view: the running cluster's configuration (from Flink), overlaid with the spec
   * (what the next restart will use), with the TaskManager process size the Flink operator derives
   * from {@code spec.taskManager.resource.memory}.
   */
  public static DeploymentView view(FlinkDeployment fd, JobSnapshot latest) {
    Map<String, String> effective = new HashMap<>(latest.configuration());
    effective.putAll(specConfiguration(fd));
    taskManagerMemory(fd)
        .ifPresent(m -> effective.put(TaskManagerMemoryModel.PROCESS_SIZE, normalizeMemory(m)));
    FlinkVersion version = latest.flinkVersion();
    return new DeploymentView(
        version, jobParallelism(fd), specConfiguration(fd), effective, taskManagerMemory(fd));
  }

  /** The guard's view of the deployment now. */
  public static DeploymentState state(FlinkDeployment fd, List<JobFailure> failures) {
    String lifecycle = "UNKNOWN";
    JobState job = JobState.UNKNOWN;
    if (fd.getStatus() != null) {
      try {
        lifecycle =
            fd.getStatus().getLifecycleState() == null
                ? "UNKNOWN"
                : fd.getStatus().getLifecycleState().name();
      } catch (RuntimeException e) {
        lifecycle = "UNKNOWN";
      }
      if (!"UPGRADING".equals(lifecycle) && !runsCurrentSpec(fd)) {
        // The Flink operator has not rolled out the spec as it is now (our patch, say): what is
        // stable, deployed or failing is the previous spec, so the deployment is still on its way.
        lifecycle = PENDING;
      }
      if (fd.getStatus().getJobStatus() != null
          && fd.getStatus().getJobStatus().getState() != null) {
        job = JobState.parse(fd.getStatus().getJobStatus().getState().name());
      }
    }
    String upgrade =
        fd.getSpec() == null
                || fd.getSpec().getJob() == null
                || fd.getSpec().getJob().getUpgradeMode() == null
            ? "stateless"
            : fd.getSpec()
                .getJob()
                .getUpgradeMode()
                .name()
                .toLowerCase(Locale.ROOT)
                .replace('_', '-');
    Map<String, String> config = specConfiguration(fd);
    Map<String, String> owned = new HashMap<>();
    config.forEach((k, v) -> owned.put(Setting.FLINK_CONFIGURATION.path() + "|" + k, v));
    if (jobParallelism(fd) > 0) {
      owned.put(
          Setting.JOB_PARALLELISM.path() + "|" + Setting.JOB_PARALLELISM.path(),
          Integer.toString(jobParallelism(fd)));
    }
    taskManagerMemory(fd)
        .ifPresent(
            m ->
                owned.put(
                    Setting.TASK_MANAGER_MEMORY.path() + "|" + Setting.TASK_MANAGER_MEMORY.path(),
                    m));
    return new DeploymentState(
        lifecycle,
        job,
        upgrade,
        Boolean.parseBoolean(config.getOrDefault("job.autoscaler.enabled", "false")),
        Boolean.parseBoolean(config.getOrDefault("job.autoscaler.memory.tuning.enabled", "false")),
        owned,
        failures);
  }

  /** Whether the spec the Flink operator last reconciled is the spec as it is now. */
  static boolean runsCurrentSpec(FlinkDeployment fd) {
    try {
      var reconciled = fd.getStatus().getReconciliationStatus().deserializeLastReconciledSpec();
      return reconciled != null && reconciled.equals(fd.getSpec());
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The id of the job the Flink operator last reported for the deployment. */
  public static Optional<String> jobId(FlinkDeployment fd) {
    if (fd.getStatus() == null || fd.getStatus().getJobStatus() == null) {
      return Optional.empty();
    }
    String id = fd.getStatus().getJobStatus().getJobId();
    return id == null || id.isBlank() ? Optional.empty() : Optional.of(id);
  }

  public static Optional<String> guardAnnotation(FlinkDeployment fd) {
    Map<String, String> a = fd.getMetadata().getAnnotations();
    return a == null ? Optional.empty() : Optional.ofNullable(a.get(GUARD_ANNOTATION));
  }

  /**
   * Whether the selector selects these labels (matchLabels and matchExpressions, as Kubernetes
   * does).
   */
  public static boolean selects(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return false;
    }
    Map<String, String> l = labels == null ? Map.of() : labels;
    if (selector.getMatchLabels() != null) {
      for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(l.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        String v = l.get(r.getKey());
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        boolean ok =
            switch (r.getOperator()) {
              case "In" -> v != null && values.contains(v);
              case "NotIn" -> v == null || !values.contains(v);
              case "Exists" -> l.containsKey(r.getKey());
              case "DoesNotExist" -> !l.containsKey(r.getKey());
              default -> false;
            };
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }

  /** Kubernetes quantities ("2Gi", "2048m" as Flink writes it) as Flink memory sizes. */
  static String normalizeMemory(String m) {
    String t = m.trim();
    if (t.endsWith("Gi")) {
      return t.substring(0, t.length() - 2) + "g";
    }
    if (t.endsWith("Mi")) {
      return t.substring(0, t.length() - 2) + "m";
    }
    return t;
  }
}
