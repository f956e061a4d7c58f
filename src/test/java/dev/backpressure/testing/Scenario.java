package dev.backpressure.testing;

import dev.backpressure.flink.FailureSign;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The situations the project is tested on: a cluster shape, a job and the signal the job must show.
 * Tests and the fixture recorder take them from here, so that a fixture shows exactly what a
 * real-Flink test saw. Each job is sized so that its signal sits far from every threshold it is
 * judged by, on a machine of two busy cores: its bottleneck is many times slower than what feeds
 * it, so the ratio, not the speed of the CPU, decides how backpressured the input is.
 */
public enum Scenario {
  HEALTHY(
      Scenario::oneTaskManager,
      ScenarioJobs::healthy,
      // Data flows (about 2000 records/s per subtask), and nothing waits on it.
      Signal.sustained(Signal.flowing("cheap work", 500), Signal.noVertexBackPressuredAbove(100))),
  COMPUTE(
      Scenario::oneTaskManager,
      env -> ScenarioJobs.cpuHeavyMap(env, 2),
      Signal.sustained(
          Signal.backPressured("Source: Sequence Source", 800),
          Signal.busyEverywhere("heavy map", 900),
          // Two subtasks computing: well above the 0.5 core per busy subtask that blocking I/O
          // stays under.
          Signal.coresInUse(">=", 1.5))),
  SKEW(
      Scenario::oneTaskManager,
      ScenarioJobs::hotKey,
      Signal.sustained(
          Signal.backPressured("Source: Sequence Source", 800),
          Signal.busiestSubtask("keyed work", 900),
          // One subtask of four at ~1000 ms/s, the others nearly idle: ~250 on average, far under
          // the 0.6 × busiest that uniform load stays above.
          Signal.busyOnAverageAtMost("keyed work", 400))),
  BLOCKING(
      Scenario::oneTaskManager,
      ScenarioJobs::blockingSink,
      Signal.sustained(
          Signal.backPressured("Source: Sequence Source", 800),
          Signal.busyEverywhere("blocking call", 900),
          // Two subtasks busy sleeping: a tenth of a core or two, under the 1.0 a compute
          // bottleneck of two subtasks would burn at the least.
          Signal.coresInUse("<=", 0.5))),
  KRYO(
      Scenario::oneTaskManager,
      ScenarioJobs::kryoRecords,
      Signal.settled(
          Signal.backPressured("Source: Sequence Source", 800),
          Signal.busyEverywhere("read opaque", 900),
          Signal.coresInUse(">=", 0.8),
          Signal.flameShare("read opaque", "com.esotericsoftware.kryo", 0.6))),
  ITERATION(
      Scenario::oneTaskManager,
      ScenarioJobs::amplifyingIteration,
      Signal.sustained(
          Signal.backPressured("IterationSource-", 800), Signal.backPressured("loop body", 800))),
  NETWORK_MEMORY_AT_STARTUP(
      () ->
          TestingFlinkCluster.builder()
              .taskManagers(2, 4)
              .set("taskmanager.memory.network.min", "1mb")
              .set("taskmanager.memory.network.max", "1mb"),
      env -> ScenarioJobs.wideShuffle(env, 8),
      Signal.once(Signal.failedWith(FailureSign.INSUFFICIENT_NETWORK_BUFFERS))),
  // Senders credited one buffer at a time. Records of 3000 bytes in 4 KiB segments make a buffer
  // one record, so the receiver's work per buffer is a copy and the round trip for credit is most
  // of each cycle; six senders into two receivers make each sender wait its turn behind two
  // others as well. On two cores: senders backpressured ~910 ms/s, receivers busy ~340 (with one
  // record of 8 bytes per 12, four into four: ~590 and ~400, a steady state that the first
  // minute's figures hid).
  BUFFERS_PER_CHANNEL(
      () ->
          TestingFlinkCluster.builder()
              .taskManagers(6, 1)
              .set("taskmanager.memory.segment-size", "4kb")
              .set("taskmanager.network.memory.buffers-per-channel", "0")
              .set("taskmanager.network.memory.floating-buffers-per-gate", "1"),
      env -> ScenarioJobs.rebalanceOnly(env, 6, 2, 3000),
      Signal.settled(
          Signal.backPressured("Source: Sequence Source", 800),
          Signal.outputPoolFull("Source: Sequence Source", 0.95),
          // Far under the 800 ms/s at which the receiver would be the compute bottleneck.
          Signal.busyAtMost("receive", 500)));

  private final Supplier<TestingFlinkCluster.Builder> cluster;
  private final UnaryOperator<StreamExecutionEnvironment> job;
  private final Signal signal;

  Scenario(
      Supplier<TestingFlinkCluster.Builder> cluster,
      UnaryOperator<StreamExecutionEnvironment> job,
      Signal signal) {
    this.cluster = cluster;
    this.job = job;
    this.signal = signal;
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

  /** What the job shows in Flink's own figures when the situation is really there. */
  public Signal signal() {
    return signal;
  }

  public StreamExecutionEnvironment job() {
    return job.apply(StreamExecutionEnvironment.getExecutionEnvironment());
  }

  public String fixtureName() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
