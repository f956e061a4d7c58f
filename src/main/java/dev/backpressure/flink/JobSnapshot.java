package dev.backpressure.flink;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Everything read from Flink about one job at one moment. Built only from a complete read: when any
 * request of a snapshot fails, no snapshot exists. Vertex metrics are present only while the job
 * runs; a failing or restarting job still has its graph, configuration and exceptions.
 *
 * @param configuration the cluster's effective configuration ({@code /jobmanager/config})
 * @param taskManagerInfo the TaskManagers of the cluster, refreshed when their number changes
 * @param jobParallelism the job's default parallelism ({@code /jobs/:jid/config}), -1 if unknown
 * @param flameGraphs ON_CPU flame graphs of the vertices that were asked for and ready
 * @param requests the HTTP requests this snapshot took
 */
public record JobSnapshot(
    Instant takenAt,
    String jobId,
    String jobName,
    JobState state,
    FlinkVersion flinkVersion,
    JobGraph graph,
    Map<String, Measurements<VertexMetric>> vertexMetrics,
    Measurements<TaskManagerMetric> taskManagers,
    List<TaskManagerInfo> taskManagerInfo,
    Map<String, String> configuration,
    int jobParallelism,
    List<JobFailure> exceptions,
    Map<String, FlameGraph> flameGraphs,
    int requests) {

  public JobSnapshot {
    vertexMetrics = Map.copyOf(vertexMetrics);
    configuration = Map.copyOf(configuration);
    exceptions = List.copyOf(exceptions);
    taskManagerInfo = List.copyOf(taskManagerInfo);
    flameGraphs = Map.copyOf(flameGraphs);
  }

  public Measurements<VertexMetric> metricsOf(String vertexId) {
    Measurements<VertexMetric> m = vertexMetrics.get(vertexId);
    return m == null ? Measurements.none() : m;
  }

  public Optional<Aggregate> metric(String vertexId, VertexMetric metric) {
    return metricsOf(vertexId).get(metric);
  }

  public Optional<String> config(String key) {
    return Optional.ofNullable(configuration.get(key));
  }

  /**
   * CPU cores in use by the TaskManagers since the previous snapshot, from the growth of their
   * cumulative CPU time. In-process TaskManagers share one JVM, so their time is counted once.
   */
  public OptionalDouble coresUsedSince(JobSnapshot previous) {
    Optional<Aggregate> now = taskManagers.get(TaskManagerMetric.CPU_TIME);
    Optional<Aggregate> before = previous.taskManagers.get(TaskManagerMetric.CPU_TIME);
    double seconds = Duration.between(previous.takenAt, takenAt).toMillis() / 1000.0;
    if (now.isEmpty() || before.isEmpty() || seconds <= 0) {
      return OptionalDouble.empty();
    }
    boolean shared =
        !taskManagerInfo.isEmpty() && taskManagerInfo.stream().allMatch(TaskManagerInfo::inProcess);
    double delta =
        shared ? now.get().max() - before.get().max() : now.get().sum() - before.get().sum();
    if (delta < 0) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(delta / 1e9 / seconds);
  }

  /** CPU cores the TaskManagers have, counting a shared JVM's machine once; 0 when unknown. */
  public int cpuCores() {
    if (taskManagerInfo.isEmpty()) {
      return 0;
    }
    if (taskManagerInfo.stream().allMatch(TaskManagerInfo::inProcess)) {
      return taskManagerInfo.get(0).cpuCores();
    }
    return taskManagerInfo.stream().mapToInt(TaskManagerInfo::cpuCores).sum();
  }

  public boolean hasMetrics() {
    return !vertexMetrics.isEmpty();
  }
}
