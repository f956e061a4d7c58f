package dev.backpressure.bench.sidebyside;

import dev.backpressure.testing.Scenario;
import dev.backpressure.testing.TestingFlinkCluster;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.jobgraph.JobVertexID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * One start of a scenario's job on a cluster of its own, as its FlinkDeployment would start it with
 * a given configuration and parallelism: a restart is a new run.
 */
final class JobRun implements AutoCloseable {

  /** A job that cannot start passes through RUNNING before each attempt fails. */
  private static final Duration RUNNING_WITHIN = Duration.ofMinutes(2);

  final TestingFlinkCluster flink;
  final JobID job;

  /** Flink's own RUNNING timestamp: the one the autoscaler counts its stabilization from too. */
  final Instant running;

  final Map<JobVertexID, String> names;

  private JobRun(
      TestingFlinkCluster flink, JobID job, Instant running, Map<JobVertexID, String> names) {
    this.flink = flink;
    this.job = job;
    this.running = running;
    this.names = names;
  }

  static JobRun start(Scenario scenario, Deployed deployed) throws Exception {
    TestingFlinkCluster.Builder builder = scenario.clusterShape();
    deployed.configuration().forEach(builder::set);
    // On Kubernetes the Flink operator starts as many TaskManagers as the parallelism needs.
    int slots = builder.slotsPerTaskManager();
    int needed = (deployed.highestParallelism() + slots - 1) / slots;
    if (needed > builder.taskManagerCount()) {
      builder.taskManagers(needed, slots);
    }
    TestingFlinkCluster flink = builder.start();
    try {
      StreamExecutionEnvironment env =
          scenario
              .deployment()
              .orElseThrow()
              .job()
              .build(StreamExecutionEnvironment.getExecutionEnvironment(), deployed.parallelism());
      JobID job = flink.submit(env, scenario.fixtureName());
      flink.awaitStatus(job, JobStatus.RUNNING, RUNNING_WITHIN);
      AccessExecutionGraph graph =
          flink.miniCluster().getExecutionGraph(job).get(10, TimeUnit.SECONDS);
      Map<JobVertexID, String> names = new HashMap<>();
      graph.getAllVertices().forEach((id, v) -> names.put(id, v.getName()));
      return new JobRun(
          flink, job, Instant.ofEpochMilli(graph.getStatusTimestamp(JobStatus.RUNNING)), names);
    } catch (Exception | AssertionError e) {
      flink.close();
      throw e;
    }
  }

  URI restUrl() {
    return flink.restUrl();
  }

  /** Seconds from this run's RUNNING to the instant. */
  long secondsTo(Instant at) {
    return Duration.between(running, at).toSeconds();
  }

  @Override
  public void close() throws Exception {
    try {
      flink.cancel(job);
    } finally {
      flink.close();
    }
  }
}
