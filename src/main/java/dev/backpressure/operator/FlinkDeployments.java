package dev.backpressure.operator;

import dev.backpressure.flink.FlinkVersion;
import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.JobState;
import dev.backpressure.remediation.DeploymentState;
import dev.backpressure.remediation.DeploymentView;
import dev.backpressure.remediation.Lifecycle;
import dev.backpressure.remediation.RunningJob;
import dev.backpressure.remediation.Setting;
import dev.backpressure.remediation.TaskManagerMemoryModel;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a FlinkDeployment, as {@link FlinkDeploymentDocument} reads it, into what the pure core
 * needs (the planner's and the guard's views), so that nothing past this class knows its shape.
 */
public final class FlinkDeployments {

  /** Where the guard state is kept on the FlinkDeployment. */
  public static final String GUARD_ANNOTATION = "backpressure.dev/guard-state";

  private FlinkDeployments() {}

  /**
   * The planner's view: the running cluster's configuration (from Flink), overlaid with the spec
   * (what the next restart will use), with the TaskManager process size the Flink operator derives
   * from {@code spec.taskManager.resource.memory}.
   */
  public static DeploymentView view(FlinkDeploymentDocument fd, JobSnapshot latest) {
    Map<String, String> effective = new HashMap<>(latest.configuration());
    effective.putAll(fd.configuration());
    fd.taskManagerMemory()
        .ifPresent(m -> effective.put(TaskManagerMemoryModel.PROCESS_SIZE, processSize(m)));
    FlinkVersion version = latest.flinkVersion();
    return new DeploymentView(
        version, fd.jobParallelism(), fd.configuration(), effective, fd.taskManagerMemory());
  }

  /**
   * The guard's view of the deployment now. Flink's own autoscaler counts as on when the spec or
   * the configuration the JobManager runs with (which includes the Flink operator's defaults) says
   * so, under either of its keys.
   */
  public static DeploymentState state(
      FlinkDeploymentDocument fd, List<JobFailure> failures, Map<String, String> running) {
    return state(fd, failures, running, Optional.empty());
  }

  /**
   * @param running the configuration the cluster runs with (the JobManager's)
   * @param job what Flink runs, when the job could be read
   */
  public static DeploymentState state(
      FlinkDeploymentDocument fd,
      List<JobFailure> failures,
      Map<String, String> running,
      Optional<RunningJob> job) {
    Lifecycle lifecycle = Lifecycle.of(fd.lifecycleState());
    if (lifecycle != Lifecycle.UPGRADING && !fd.runsCurrentSpec()) {
      // The Flink operator has not rolled out the spec as it is now (our patch, say): what is
      // stable, deployed or failing is the previous spec, so the deployment is still on its way.
      lifecycle = Lifecycle.PENDING;
    }
    Map<String, String> owned = new HashMap<>();
    fd.configuration()
        .forEach((k, v) -> owned.put(Setting.FLINK_CONFIGURATION.path() + "|" + k, v));
    if (fd.jobParallelism() > 0) {
      owned.put(
          Setting.JOB_PARALLELISM.path() + "|" + Setting.JOB_PARALLELISM.path(),
          Integer.toString(fd.jobParallelism()));
    }
    fd.taskManagerMemory()
        .ifPresent(
            m ->
                owned.put(
                    Setting.TASK_MANAGER_MEMORY.path() + "|" + Setting.TASK_MANAGER_MEMORY.path(),
                    m));
    return new DeploymentState(
        lifecycle,
        JobState.parse(fd.jobState()),
        fd.upgradeMode(),
        switchedOn(fd.configuration(), running, AUTOSCALER),
        switchedOn(fd.configuration(), running, AUTOSCALER_MEMORY_TUNING),
        owned,
        failures,
        job);
  }

  /** The autoscaler's switches, each under its key and the Flink operator's prefixed fallback. */
  static final List<String> AUTOSCALER =
      List.of("job.autoscaler.enabled", "kubernetes.operator.job.autoscaler.enabled");

  static final List<String> AUTOSCALER_MEMORY_TUNING =
      List.of(
          "job.autoscaler.memory.tuning.enabled",
          "kubernetes.operator.job.autoscaler.memory.tuning.enabled");

  /** The spec wins over what runs, as it will at the next restart; the first key found counts. */
  private static boolean switchedOn(
      Map<String, String> spec, Map<String, String> running, List<String> keys) {
    for (Map<String, String> source : List.of(spec, running)) {
      for (String key : keys) {
        String value = source.get(key);
        if (value != null) {
          return Boolean.parseBoolean(value.trim());
        }
      }
    }
    return false;
  }

  /**
   * Whether the selector selects these labels (matchLabels and matchExpressions, as Kubernetes
   * does).
   */
  public static boolean selects(LabelSelector selector, Map<String, String> labels) {
    if (selector == null || !Selectors.problems(selector, "selector").isEmpty()) {
      return false; // its policy is refused with the reason; the others are matched as before
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

  /**
   * The TaskManager process size, in bytes, that the Flink operator derives from {@code
   * spec.taskManager.resource.memory}, read as it reads it: Flink's own syntax first ("2048m", "2
   * gb"), else a Kubernetes quantity ("2Gi", "1.5G", "1.5Gi"). Text neither reads is left as it is,
   * for the memory model to refuse with its own message.
   */
  static String processSize(String memory) {
    try {
      return String.valueOf(org.apache.flink.configuration.MemorySize.parse(memory).getBytes());
    } catch (IllegalArgumentException notFlinks) {
      String q = memory.trim().replaceAll("\\s", "").toUpperCase(Locale.ROOT);
      if (q.endsWith("B")) {
        q = q.substring(0, q.length() - 1);
      }
      if (q.endsWith("I")) {
        q = q.substring(0, q.length() - 1) + "i";
      }
      try {
        return Quantity.getAmountInBytes(Quantity.parse(q)).toBigInteger().toString();
      } catch (IllegalArgumentException | ArithmeticException notAQuantity) {
        return memory.trim();
      }
    }
  }
}
