package dev.backpressure.testing;

import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The situations the project is tested on: a cluster shape and a job. Tests and the fixture
 * recorder take them from here, so that a fixture shows exactly what a real-Flink test saw.
 */
public enum Scenario {
  HEALTHY(Scenario::oneTaskManager, ScenarioJobs::healthy),
  COMPUTE(Scenario::oneTaskManager, env -> ScenarioJobs.cpuHeavyMap(env, 2)),
  SKEW(Scenario::oneTaskManager, ScenarioJobs::hotKey),
  BLOCKING(Scenario::oneTaskManager, ScenarioJobs::blockingSink),
  KRYO(Scenario::oneTaskManager, ScenarioJobs::kryoRecords),
  ITERATION(Scenario::oneTaskManager, ScenarioJobs::amplifyingIteration),
  NETWORK_MEMORY_AT_STARTUP(
      () ->
          TestingFlinkCluster.builder()
              .taskManagers(2, 4)
              .set("taskmanager.memory.network.min", "1mb")
              .set("taskmanager.memory.network.max", "1mb"),
      env -> ScenarioJobs.wideShuffle(env, 8)),
  BUFFERS_PER_CHANNEL(
      () ->
          TestingFlinkCluster.builder()
              .taskManagers(4, 1)
              .set("taskmanager.network.memory.buffers-per-channel", "0")
              .set("taskmanager.network.memory.floating-buffers-per-gate", "1"),
      env -> ScenarioJobs.rebalanceOnly(env, 4));

  private final Supplier<TestingFlinkCluster.Builder> cluster;
  private final UnaryOperator<StreamExecutionEnvironment> job;

  Scenario(
      Supplier<TestingFlinkCluster.Builder> cluster,
      UnaryOperator<StreamExecutionEnvironment> job) {
    this.cluster = cluster;
    this.job = job;
  }

  /** One TaskManager with slots for every single-TaskManager scenario, flame graphs on. */
  public static TestingFlinkCluster.Builder oneTaskManager() {
    return TestingFlinkCluster.builder()
        .taskManagers(1, 8)
        .set("rest.flamegraph.enabled", "true")
        .set("rest.flamegraph.num-samples", "40")
        .set("rest.flamegraph.delay-between-samples", "20 ms");
  }

  public TestingFlinkCluster.Builder cluster() {
    return cluster.get();
  }

  public StreamExecutionEnvironment job() {
    return job.apply(StreamExecutionEnvironment.getExecutionEnvironment());
  }

  public String fixtureName() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
