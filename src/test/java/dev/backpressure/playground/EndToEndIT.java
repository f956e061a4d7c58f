package dev.backpressure.playground;

import static dev.backpressure.operator.FlinkDeployments.GUARD_ANNOTATION;
import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.api.DeploymentPhase;
import dev.backpressure.api.DeploymentReport;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.diagnosis.Cause;
import dev.backpressure.remediation.GuardState;
import dev.backpressure.remediation.MemorySize;
import dev.backpressure.state.GuardStateJson;
import dev.backpressure.testing.Await;
import dev.backpressure.testing.FlinkRuntime;
import dev.backpressure.testing.Scenario;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole loop on real parts: a real Flink job with real backpressure, the Kubernetes API with
 * both CRDs, a stand-in Flink operator that restarts the job on each spec change, and this
 * operator. Assertions are on the FlinkDeployment spec, the policy status, the events and the job's
 * own metrics.
 */
class EndToEndIT {

  private static final String OVERRIDES = "pipeline.jobvertex-parallelism-overrides";
  private static final Duration MINUTES = Duration.ofMinutes(4);

  /**
   * On the build's Flink 1.20, through a per-vertex override; on Flink 2.x, where the
   * FlinkDeployment declares {@code v2_1} and keeps its configuration nested, through the job's
   * parallelism, because Flink 2.x drops overrides given at submission (FLINK-38770, which {@code
   * ParallelismOverridesAtSubmissionIT} shows on the same Flink).
   */
  /** What the compute job's source offers, events per second (ScenarioJobs.computeBottleneck). */
  private static final double SOURCE_RATE = 1300;

  @ParameterizedTest(name = "on Flink {0}")
  @ValueSource(strings = {"1", "2"})
  void computeBottleneckIsScaledOnceAndVerified(String flink) throws Exception {
    FlinkRuntime runtime = FlinkRuntime.of(flink);
    try (PlaygroundStack stack =
        PlaygroundStack.start(
            Scenario.PACED_COMPUTE,
            RemediationPolicySpec.Mode.Enforce,
            runtime,
            System.out::println)) {
      JobMeter meter = new JobMeter(stack.flink.restUrl());
      awaitBackpressure(stack, meter);
      JobMeter.Reading before = measure(meter);
      stack.startOperator();

      DeploymentReport verified = awaitChange(stack, "VERIFIED");
      System.out.println("verified: " + verified.lastChange.reason);

      String changed = flink.equals("1") ? OVERRIDES : "spec.job.parallelism";
      assertThat(verified.lastChange.changes).singleElement().asString().contains(changed);
      assertThat(stack.flink.rollouts()).isEqualTo(2);
      assertThat(stack.events("ChangeApplied")).hasSize(1);
      assertThat(stack.events("ChangeVerified")).hasSize(1);
      assertThat(guard(stack).history())
          .singleElement()
          .satisfies(c -> assertThat(c.cause()).isEqualTo(Cause.COMPUTE_BOTTLENECK));
      assertThat(stack.events("BackpressureDiagnosed"))
          .isNotEmpty()
          .allSatisfy(e -> assertThat(e.getMessage()).contains("'enrich"));

      JobMeter.Reading after = measure(meter);
      System.out.println("before " + before + "\nafter " + after);
      assertThat(after.sourceBackPressure()).isLessThan(200);
      // Fixed, the job takes nearly all its source offers, and more than before. Not a ratio over
      // before: the source's 1300 events/s bound the gain, and a fast "before" (1080 was seen)
      // left a 15% rise a few events/s of noise away from failing.
      assertThat(after.eventsPerSecond())
          .isGreaterThan(before.eventsPerSecond())
          .isGreaterThan(0.9 * SOURCE_RATE);
      assertThat(after.parallelismOf("enrich")).isEqualTo("2");
      assertThat(meter.flinkVersion()).isEqualTo(runtime.version());
      if (flink.equals("1")) {
        assertThat(stack.flinkConfiguration(OVERRIDES)).matches("[0-9a-f]{32}:2");
        assertThat(stack.deployment().jobParallelism()).isEqualTo(1);
      } else {
        assertThat(stack.flinkConfiguration(OVERRIDES)).isNull();
        assertThat(stack.deployment().jobParallelism()).isEqualTo(2);
        assertThat(stack.deployment().flinkVersion()).startsWith("v2_");
        assertThat(stack.spec().path("flinkConfiguration").path("pipeline").path("name").asText())
            .isEqualTo(PlaygroundStack.DEPLOYMENT);
      }
    }
  }

  @Test
  void onTheAdaptiveSchedulerTheFlinkOperatorScalesTheRunningJobInPlace() throws Exception {
    try (PlaygroundStack stack =
        start(Scenario.PACED_COMPUTE_IN_PLACE, RemediationPolicySpec.Mode.Enforce)) {
      JobMeter meter = new JobMeter(stack.flink.restUrl());
      awaitBackpressure(stack, meter);
      String job = stack.flink.jobId().orElseThrow().toString();
      stack.startOperator();

      DeploymentReport verified = awaitChange(stack, "VERIFIED");
      System.out.println("verified: " + verified.lastChange.reason);

      assertThat(stack.flink.inPlaceScalings()).isEqualTo(1);
      assertThat(stack.flink.rollouts()).as("no second deployment").isEqualTo(1);
      assertThat(stack.flink.jobId().orElseThrow()).hasToString(job);
      assertThat(stack.events("Scaling"))
          .singleElement()
          .satisfies(e -> assertThat(e.getMessage()).isEqualTo("In-place scaling triggered"));
      JobMeter.Reading after = measure(meter);
      System.out.println("after " + after);
      assertThat(after.parallelismOf("enrich")).isEqualTo("2");
      assertThat(after.sourceBackPressure()).isLessThan(200);
    }
  }

  @Test
  void aChangeFlinkDoesNotRunIsRestoredWithoutAVerdict() throws Exception {
    try (PlaygroundStack stack =
        start(Scenario.PACED_COMPUTE, RemediationPolicySpec.Mode.Enforce)) {
      stack.flink.dropParallelismOverrides();
      JobMeter meter = new JobMeter(stack.flink.restUrl());
      awaitBackpressure(stack, meter);
      stack.startOperator();

      DeploymentReport restored = awaitChange(stack, "RESTORED");
      System.out.println("restored: " + restored.lastChange.reason);

      assertThat(restored.lastChange.reason)
          .startsWith("restored the previous values: Flink does not run the change")
          .contains("runs at parallelism 1, not 2");
      assertThat(stack.events("ChangeNotTaken"))
          .singleElement()
          .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));
      assertThat(stack.events("ChangeRolledBack")).isEmpty();
      assertThat(stack.events("RestoreCompleted")).hasSize(1);
      assertThat(stack.flinkConfiguration(OVERRIDES)).isNull();
      assertThat(guard(stack).history())
          .singleElement()
          .satisfies(c -> assertThat(c.outcome()).isEqualTo(GuardState.Outcome.NOT_TAKEN));
      assertThat(guard(stack).barred())
          .singleElement()
          .satisfies(b -> assertThat(b.outcome()).isEqualTo(GuardState.Outcome.NOT_TAKEN));
      assertThat(stack.flink.rollouts()).isEqualTo(3);
      Await.until(
          "the job to run again as before",
          () -> measure(meter),
          r -> r.parallelismOf("enrich").equals("1") && r.sourceBackPressure() >= 500,
          MINUTES);
    }
  }

  @Test
  void aJobThatCannotStartForWantOfBuffersGetsNetworkMemoryAndRuns() throws Exception {
    try (PlaygroundStack stack =
        start(Scenario.PACED_NETWORK_BUFFERS, RemediationPolicySpec.Mode.Enforce)) {
      Await.until("the job to be submitted", stack.flink::jobId, j -> j.isPresent(), MINUTES);
      stack.startOperator();

      DeploymentReport verified = awaitChange(stack, "VERIFIED");
      System.out.println("verified: " + verified.lastChange.reason);
      assertThat(guard(stack).history())
          .singleElement()
          .satisfies(c -> assertThat(c.cause()).isEqualTo(Cause.TOO_FEW_NETWORK_BUFFERS));
      assertThat(verified.lastChange.reason).contains("runs again");

      // Pinned with min = max, above the 1 MiB the job could not start with; the TaskManagers
      // Flink started with that configuration are the proof that the memory model holds.
      String min = stack.flinkConfiguration("taskmanager.memory.network.min");
      String max = stack.flinkConfiguration("taskmanager.memory.network.max");
      assertThat(min).isEqualTo(max);
      assertThat(MemorySize.parse(min).bytes()).isGreaterThan(MemorySize.parse("1mb").bytes());
      assertThat(stack.deployment().jobParallelism()).isEqualTo(8);
      assertThat(stack.events("ChangeApplied")).hasSize(1);
      assertThat(stack.flink.rollouts()).isEqualTo(2);

      JobMeter.Reading running = measure(new JobMeter(stack.flink.restUrl()));
      System.out.println("running: " + running);
      assertThat(running.eventsPerSecond()).isGreaterThan(500);
      assertThat(running.parallelismOf("keyed sum")).isEqualTo("8");
    }
  }

  @Test
  void aChangeThatDoesNotHelpIsRolledBackToTheExactValuesAndBarred() throws Exception {
    try (PlaygroundStack stack =
        start(Scenario.SATURATED_BACKEND, RemediationPolicySpec.Mode.Enforce)) {
      JobMeter meter = new JobMeter(stack.flink.restUrl());
      awaitBackpressure(stack, meter);
      JobMeter.Reading before = measure(meter);
      String[] keysBefore = configurationKeys(stack);
      stack.startOperator();

      DeploymentReport rolledBack = awaitChange(stack, "ROLLED_BACK");
      System.out.println("rolled back: " + rolledBack.lastChange.reason + "; before: " + before);
      // The guard's baseline is the rate the job ran at, not Flink's one-minute meter read in the
      // job's first minute (that gave 343 records/s for a job running at 914).
      java.util.regex.Matcher baseline =
          java.util.regex.Pattern.compile("throughput ([0-9.]+) →")
              .matcher(rolledBack.lastChange.reason);
      assertThat(baseline.find()).as(rolledBack.lastChange.reason).isTrue();
      assertThat(Double.parseDouble(baseline.group(1)))
          .as("the baseline against the job's own counter over 5 s before the operator started")
          .isBetween(before.eventsPerSecond() * 0.75, before.eventsPerSecond() * 1.25);

      assertThat(guard(stack).history())
          .singleElement()
          .satisfies(c -> assertThat(c.cause()).isEqualTo(Cause.BLOCKING_IO));
      assertThat(rolledBack.lastChange.reason).contains("did not improve");
      // The override the change added is gone again: the spec is as the user wrote it.
      assertThat(stack.flinkConfiguration(OVERRIDES)).isNull();
      assertThat(configurationKeys(stack)).containsExactly(keysBefore);
      assertThat(stack.deployment().jobParallelism()).isEqualTo(1);
      assertThat(stack.events("ChangeRolledBack"))
          .singleElement()
          .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));
      assertThat(guard(stack).barred())
          .singleElement()
          .satisfies(b -> assertThat(b.key()).startsWith("BLOCKING_IO/"));

      // Flink runs the job as before again: one lookup subtask, and still backpressured.
      Await.until(
          "the job to run at its old parallelism",
          () -> measure(meter),
          r -> r.parallelismOf("lookup").equals("1") && r.sourceBackPressure() >= 500,
          MINUTES);
      assertThat(stack.flink.rollouts()).isEqualTo(3);
    }
  }

  @Test
  void skewGetsAdviceAndTheSpecStaysUntouched() throws Exception {
    try (PlaygroundStack stack = start(Scenario.PACED_SKEW, RemediationPolicySpec.Mode.Enforce)) {
      JobMeter meter = new JobMeter(stack.flink.restUrl());
      awaitBackpressure(stack, meter);
      var specBefore = stack.spec();
      stack.startOperator();

      DeploymentReport advised =
          Await.until(
              "advice for the hot key",
              () -> stack.report().orElse(null),
              r -> r.phase == DeploymentPhase.Advised,
              MINUTES);
      assertThat(advised.lastDiagnosis.cause).isEqualTo("DATA_SKEW");
      assertThat(advised.lastDiagnosis.vertex).contains("per-key work");
      assertThat(stack.events("AdviceOnly")).hasSize(1);
      assertThat(stack.events("ChangeApplied")).isEmpty();
      assertThat(stack.spec()).isEqualTo(specBefore);
      assertThat(stack.flink.rollouts()).isEqualTo(1);
    }
  }

  @Test
  void dryRunReportsAndPlansButLeavesTheSpecAlone() throws Exception {
    try (PlaygroundStack stack = start(Scenario.PACED_COMPUTE, RemediationPolicySpec.Mode.DryRun)) {
      JobMeter meter = new JobMeter(stack.flink.restUrl());
      awaitBackpressure(stack, meter);
      var specBefore = stack.spec();
      stack.startOperator();

      Await.until(
          "a planned change", () -> stack.events("ChangePlanned"), e -> !e.isEmpty(), MINUTES);
      DeploymentReport report = stack.report().orElseThrow();
      assertThat(report.lastDiagnosis.cause).isEqualTo("COMPUTE_BOTTLENECK");
      assertThat(stack.events("ChangePlanned").get(0).getMessage())
          .contains(OVERRIDES)
          .contains(":2");
      assertThat(stack.events("ChangeApplied")).isEmpty();
      assertThat(stack.spec()).isEqualTo(specBefore);
      assertThat(stack.flink.rollouts()).isEqualTo(1);
      assertThat(measure(meter).sourceBackPressure()).isGreaterThanOrEqualTo(500);
    }
  }

  @Test
  void anOperatorStoppedMidChangeResumesAndAppliesNothingTwice() throws Exception {
    try (PlaygroundStack stack =
        start(Scenario.PACED_COMPUTE, RemediationPolicySpec.Mode.Enforce)) {
      JobMeter meter = new JobMeter(stack.flink.restUrl());
      awaitBackpressure(stack, meter);
      stack.startOperator();
      Await.until(
          "the change to be applied",
          () -> stack.events("ChangeApplied"),
          e -> !e.isEmpty(),
          MINUTES);
      stack.stopOperator();
      // While no operator runs, the Flink operator rolls the change out.
      Await.until("the rollout of the change", () -> stack.flink.rollouts(), n -> n == 2, MINUTES);

      stack.startOperator();
      DeploymentReport verified = awaitChange(stack, "VERIFIED");
      assertThat(verified.lastChange.changes).hasSize(1);
      assertThat(stack.events("ChangeApplied")).hasSize(1);
      assertThat(stack.flinkConfiguration(OVERRIDES)).matches("[0-9a-f]{32}:2");
      assertThat(stack.flink.rollouts()).isEqualTo(2);
      assertThat(guard(stack).history()).hasSize(1);
      assertThat(guard(stack).inFlight()).isEmpty();
    }
  }

  private static PlaygroundStack start(Scenario scenario, RemediationPolicySpec.Mode mode)
      throws Exception {
    return PlaygroundStack.start(scenario, mode, FlinkRuntime.of("1"), System.out::println);
  }

  /** Waits for the policy status to report the deployment's change with this outcome. */
  private static DeploymentReport awaitChange(PlaygroundStack stack, String outcome)
      throws InterruptedException {
    return Await.until(
        "the change to be " + outcome,
        () -> stack.report().orElse(null),
        r -> r.lastChange != null && outcome.equals(r.lastChange.outcome),
        MINUTES);
  }

  private static void awaitBackpressure(PlaygroundStack stack, JobMeter meter)
      throws InterruptedException {
    Await.until("the job to run", stack.flink::jobId, j -> j.isPresent(), MINUTES);
    // The scenario's signal, far above the operator's 500 ms/s: a job that never shows it failed to
    // make the situation, and the timeout says so with the last reading, before the operator runs.
    Await.until(
        "the job's signal (source backpressured >= 800 ms/s)",
        () -> measure(meter),
        r -> r.sourceBackPressure() >= 800,
        MINUTES);
  }

  private static GuardState guard(PlaygroundStack stack) throws Exception {
    return GuardStateJson.read(stack.deployment().annotations().get(GUARD_ANNOTATION));
  }

  private static String[] configurationKeys(PlaygroundStack stack) throws Exception {
    return stack.deployment().configuration().keySet().toArray(String[]::new);
  }

  private static JobMeter.Reading measure(JobMeter meter) {
    try {
      return meter.measure(Duration.ofSeconds(5));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
