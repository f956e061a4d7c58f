package dev.backpressure.playground;

import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.testing.Scenario;
import dev.backpressure.testing.ScenarioJob;
import dev.backpressure.testing.TestingFlinkCluster;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/** The situations the playground and the end-to-end tests put in front of the operator. */
enum PlaygroundScenario {
  COMPUTE(
      "a map that needs 1 ms of CPU per event behind a 1300 events/s source: one subtask is too few",
      ScenarioJob.COMPUTE_BOTTLENECK,
      1,
      Map.of(),
      Scenario::oneTaskManager,
      Expect.VERIFIED),
  COMPUTE_IN_PLACE(
      "the compute job on Flink's adaptive scheduler: the Flink operator rescales the running job"
          + " in place",
      ScenarioJob.COMPUTE_BOTTLENECK,
      1,
      Map.of("jobmanager.scheduler", "adaptive"),
      Scenario::oneTaskManager,
      Expect.VERIFIED),
  NETWORK_BUFFERS(
      "two shuffles at parallelism 8 on TaskManagers given 1 MiB of network memory: the job cannot"
          + " start",
      ScenarioJob.PACED_WIDE_SHUFFLE,
      8,
      Map.of("taskmanager.memory.network.min", "1mb", "taskmanager.memory.network.max", "1mb"),
      () ->
          TestingFlinkCluster.builder()
              .taskManagers(2, 4)
              .set("restart-strategy.type", "fixed-delay")
              .set("restart-strategy.fixed-delay.attempts", "100000")
              .set("restart-strategy.fixed-delay.delay", "2 s"),
      Expect.VERIFIED),
  ROLLBACK(
      "lookups against a backend that serves one call at a time: scaling up cannot help",
      ScenarioJob.SATURATED_BACKEND,
      1,
      Map.of(),
      Scenario::oneTaskManager,
      Expect.ROLLED_BACK),
  SKEW(
      "nine events in ten carry the same key: one subtask of four does all the work",
      ScenarioJob.PACED_HOT_KEY,
      4,
      Map.of(),
      Scenario::oneTaskManager,
      Expect.ADVICE);

  /** How the scenario ends when the operator does its job. */
  enum Expect {
    VERIFIED,
    ROLLED_BACK,
    ADVICE
  }

  final String story;
  final ScenarioJob job;
  final int parallelism;
  final Map<String, String> flinkConfiguration;
  final Supplier<TestingFlinkCluster.Builder> cluster;
  final Expect expect;

  PlaygroundScenario(
      String story,
      ScenarioJob job,
      int parallelism,
      Map<String, String> flinkConfiguration,
      Supplier<TestingFlinkCluster.Builder> cluster,
      Expect expect) {
    this.story = story;
    this.job = job;
    this.parallelism = parallelism;
    this.flinkConfiguration = flinkConfiguration;
    this.cluster = cluster;
    this.expect = expect;
  }

  /** The job fails as it starts, so there is no backpressure to measure before the fix. */
  boolean failsAtStartup() {
    return this == NETWORK_BUFFERS;
  }

  String id() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static PlaygroundScenario of(String id) {
    for (PlaygroundScenario s : values()) {
      if (s.id().equals(id)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown scenario '"
            + id
            + "'; pick one of "
            + java.util.Arrays.stream(values()).map(PlaygroundScenario::id).toList());
  }

  /**
   * The policy the playground applies: the enforcing example's limits, with times cut down to fit a
   * demo. The verification window stays above a minute because Flink's throughput meters average
   * over one.
   */
  static RemediationPolicySpec policy(RemediationPolicySpec.Mode mode, String restUrl) {
    RemediationPolicySpec spec = new RemediationPolicySpec();
    spec.selector =
        new io.fabric8.kubernetes.api.model.LabelSelectorBuilder()
            .withMatchLabels(Map.of("backpressure", "auto-fix"))
            .build();
    spec.mode = mode;
    spec.scrapeInterval = "2s";
    spec.restUrlTemplate = restUrl;
    spec.detection.sustainSamples = 3;
    spec.detection.sustainDuration = "8s";
    spec.detection.windowSize = 5;
    spec.remedies.maxParallelism = 4;
    spec.remedies.maxStepFactor = 2.0;
    spec.remedies.maxNetworkMemory = "256m";
    spec.guard.cooldown = "1m";
    spec.guard.stabilizationTimeout = "1m";
    spec.guard.verificationWindow = "65s";
    spec.guard.barFor = "1h";
    return spec;
  }
}
