package dev.backpressure.testing;

import dev.backpressure.flink.FailureSign;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The situations the project is tested and shown on: a cluster shape, a job and the signal the job
 * must show. The real-Flink tests, the fixture recorder, the end-to-end tests and the playground
 * all take them from here, so that a fixture shows exactly what a test or the playground ran. Each
 * job is sized so that its signal sits far from every threshold it is judged by, on a machine of
 * two busy cores: its bottleneck is many times slower than what feeds it, so the ratio, not the
 * speed of the CPU, decides how backpressured the input is. The deployed scenarios (those with a
 * {@link Deployment}) are the ones the operator fixes: their source is paced like a topic with lag,
 * so a fix shows as throughput.
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
          Signal.busyAtMost("receive", 500))),
  PACED_COMPUTE(
      Scenario::oneTaskManager,
      new Deployment(
          "compute",
          "a map that needs 1 ms of CPU per event behind a 1300 events/s source: one subtask is"
              + " too few",
          ScenarioJob.COMPUTE_BOTTLENECK,
          1,
          Map.of(),
          Outcome.VERIFIED),
      pacedBottleneck("enrich")),
  PACED_COMPUTE_IN_PLACE(
      Scenario::oneTaskManager,
      new Deployment(
          "compute-in-place",
          "the compute job on Flink's adaptive scheduler: the Flink operator rescales the running"
              + " job in place",
          ScenarioJob.COMPUTE_BOTTLENECK,
          1,
          Map.of("jobmanager.scheduler", "adaptive"),
          Outcome.VERIFIED),
      pacedBottleneck("enrich")),
  PACED_NETWORK_BUFFERS(
      () ->
          TestingFlinkCluster.builder()
              .taskManagers(2, 4)
              .set("restart-strategy.type", "fixed-delay")
              .set("restart-strategy.fixed-delay.attempts", "100000")
              .set("restart-strategy.fixed-delay.delay", "2 s"),
      new Deployment(
          "network-buffers",
          "two shuffles at parallelism 8 on TaskManagers given 1 MiB of network memory: the job"
              + " cannot start",
          ScenarioJob.PACED_WIDE_SHUFFLE,
          8,
          Map.of("taskmanager.memory.network.min", "1mb", "taskmanager.memory.network.max", "1mb"),
          Outcome.VERIFIED),
      Signal.once(Signal.failedWith(FailureSign.INSUFFICIENT_NETWORK_BUFFERS))),
  SATURATED_BACKEND(
      Scenario::oneTaskManager,
      new Deployment(
          "rollback",
          "lookups against a backend that serves one call at a time: scaling up cannot help",
          ScenarioJob.SATURATED_BACKEND,
          1,
          Map.of(),
          Outcome.ROLLED_BACK),
      // The lookup holds its subtask for each call, sleeping or queued at the backend, which Flink
      // counts as busy.
      pacedBottleneck("lookup")),
  PACED_SKEW(
      Scenario::oneTaskManager,
      new Deployment(
          "skew",
          "nine events in ten carry the same key: one subtask of four does all the work",
          ScenarioJob.PACED_HOT_KEY,
          4,
          Map.of(),
          Outcome.ADVICE),
      Signal.sustained(
          Signal.backPressured("Source: Sequence Source", 800),
          Signal.busiestSubtask("per-key work", 900),
          // The hot subtask at ~1000 ms/s, the other three at ~30: ~275 on average.
          Signal.busyOnAverageAtMost("per-key work", 400)));

  /**
   * How a deployed scenario runs as a FlinkDeployment.
   *
   * @param id its name on the playground's command line
   * @param job what the stand-in Flink operator builds, at the spec's parallelism
   * @param parallelism the spec's {@code job.parallelism} before the operator changes it
   * @param flinkConfiguration the spec's {@code flinkConfiguration} before the operator changes it
   * @param outcome how it ends when the operator does its job
   */
  public record Deployment(
      String id,
      String story,
      ScenarioJob job,
      int parallelism,
      Map<String, String> flinkConfiguration,
      Outcome outcome) {}

  /** How a deployed scenario ends when the operator does its job. */
  public enum Outcome {
    VERIFIED,
    ROLLED_BACK,
    ADVICE
  }

  private final Supplier<TestingFlinkCluster.Builder> cluster;
  private final UnaryOperator<StreamExecutionEnvironment> job;
  private final Deployment deployment;
  private final Signal signal;

  Scenario(
      Supplier<TestingFlinkCluster.Builder> cluster,
      UnaryOperator<StreamExecutionEnvironment> job,
      Signal signal) {
    this.cluster = cluster;
    this.job = job;
    this.deployment = null;
    this.signal = signal;
  }

  Scenario(Supplier<TestingFlinkCluster.Builder> cluster, Deployment deployment, Signal signal) {
    this.cluster = cluster;
    this.job = env -> deployment.job().build(env, deployment.parallelism());
    this.deployment = deployment;
    this.signal = signal;
  }

  /** A paced source held up by one bottleneck that is busy nearly all the time. */
  private static Signal pacedBottleneck(String bottleneck) {
    return Signal.sustained(
        Signal.backPressured("Source: Sequence Source", 800),
        Signal.busyEverywhere(bottleneck, 900));
  }

  /** One TaskManager with slots for every single-TaskManager scenario, flame graphs on. */
  public static TestingFlinkCluster.Builder oneTaskManager() {
    return TestingFlinkCluster.builder()
        .taskManagers(1, 8)
        .set("rest.flamegraph.enabled", "true")
        .set("rest.flamegraph.num-samples", "40")
        .set("rest.flamegraph.delay-between-samples", "20 ms");
  }

  /**
   * The cluster the job runs on when a test starts it directly: for a deployed scenario, with the
   * FlinkDeployment's configuration laid over, as the Flink operator would start it.
   */
  public TestingFlinkCluster.Builder cluster() {
    TestingFlinkCluster.Builder builder = cluster.get();
    deployment().ifPresent(d -> d.flinkConfiguration().forEach(builder::set));
    return builder;
  }

  /**
   * The TaskManagers and base configuration alone, for a stand-in Flink operator that lays each
   * spec's configuration over it.
   */
  public TestingFlinkCluster.Builder clusterShape() {
    return cluster.get();
  }

  /** How it runs as a FlinkDeployment, for the scenarios the operator is shown fixing. */
  public Optional<Deployment> deployment() {
    return Optional.ofNullable(deployment);
  }

  /**
   * The job fails as it starts (its signal is a failure, shown once), so there is no backpressure
   * to measure before a fix.
   */
  public boolean failsAtStartup() {
    return signal.samples() == 1;
  }

  /** The deployed scenario with this playground name. */
  public static Scenario deployed(String id) {
    return Arrays.stream(values())
        .filter(s -> s.deployment().map(d -> d.id().equals(id)).orElse(false))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown scenario '"
                        + id
                        + "'; pick one of "
                        + Arrays.stream(values())
                            .flatMap(s -> s.deployment().stream())
                            .map(Deployment::id)
                            .toList()));
  }

  /** What the job shows in Flink's own figures when the situation is really there. */
  public Signal signal() {
    return signal;
  }

  public StreamExecutionEnvironment job() {
    return job.apply(StreamExecutionEnvironment.getExecutionEnvironment());
  }

  public String fixtureName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
