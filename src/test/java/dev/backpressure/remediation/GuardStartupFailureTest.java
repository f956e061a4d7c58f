package dev.backpressure.remediation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.diagnosis.Cause;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobState;
import dev.backpressure.testing.Diagnoses;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A job in a restart loop for want of network buffers is never RUNNING and STABLE for long and has
 * no numbers to compare: the guard lets a network memory change through anyway, counts running at
 * all as the improvement, and does not blame the change for failures of the job before it.
 */
class GuardStartupFailureTest {

  private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
  private static final String SHORTAGE =
      "java.io.IOException: Insufficient number of network buffers: required 50, but only 32"
          + " available.";
  private static final SettingChange MIN =
      SettingChange.config("taskmanager.memory.network.min", Optional.of("1mb"), "9m");
  private static final SettingChange MAX =
      SettingChange.config("taskmanager.memory.network.max", Optional.of("1mb"), "9m");
  private static final Plan.Change RAISE =
      new Plan.Change(
          Cause.TOO_FEW_NETWORK_BUFFERS,
          Optional.empty(),
          List.of(MIN, MAX),
          List.of(),
          List.of(),
          "raise network memory to 9m");
  private static final GuardSettings ENFORCE = GuardSettings.DEFAULTS.enforcing();

  private static DeploymentState deployment(
      String lifecycle, JobState job, String network, List<JobFailure> failures) {
    return new DeploymentState(
        Lifecycle.of(lifecycle),
        job,
        "savepoint",
        false,
        false,
        Map.of(
            DeploymentState.key(MIN), network,
            DeploymentState.key(MAX), network),
        failures,
        // Flink runs what the spec says once the job runs.
        job == JobState.RUNNING
            ? Optional.of(
                new RunningJob(
                    Map.of(), Optional.of(MemorySize.parse(network)), RunningJob.DEFAULT_SEGMENT))
            : Optional.empty());
  }

  private static JobFailure shortageAt(Instant t) {
    return new JobFailure("java.io.IOException", SHORTAGE, t.toEpochMilli(), "spread (1/8)");
  }

  private static Diagnosis diagnosis() {
    return Diagnoses.of(Cause.TOO_FEW_NETWORK_BUFFERS)
        .at(T0)
        .job(JobState.RESTARTING)
        .notBackpressured()
        .confidence(0.9)
        .build();
  }

  private static Decision pass(
      Instant now, GuardState state, DeploymentState d, Plan plan, Optional<Measures> m) {
    return Guard.decide(now, state, ENFORCE, d, Optional.of(diagnosis()), Optional.of(plan), m);
  }

  @Test
  void aNetworkMemoryFixGoesAheadForAJobThatCannotStartAndRunningIsTheImprovement() {
    List<JobFailure> failures = new ArrayList<>(List.of(shortageAt(T0.minusSeconds(3))));
    Decision apply =
        pass(
            T0,
            GuardState.initial(),
            deployment("STABLE", JobState.RESTARTING, "1mb", failures),
            RAISE,
            Optional.empty());
    assertThat(apply.kind()).isEqualTo(Decision.Kind.APPLY);
    assertThat(apply.reason()).contains("fails at startup");
    assertThat(apply.next().inFlight().orElseThrow().baseline().jobRunning()).isFalse();

    // The old job keeps failing until the Flink operator takes the change up: not the change's
    // fault.
    failures.add(shortageAt(T0.plusSeconds(2)));
    Decision pending =
        pass(
            T0.plusSeconds(3),
            apply.next(),
            deployment("PENDING", JobState.RESTARTING, "9m", failures),
            RAISE,
            Optional.empty());
    assertThat(pending.kind()).isEqualTo(Decision.Kind.WAITING);

    Decision stable =
        pass(
            T0.plusSeconds(30),
            pending.next(),
            deployment("STABLE", JobState.RUNNING, "9m", List.of()),
            RAISE,
            Optional.of(new Measures(0, 1300)));
    assertThat(stable.kind()).isEqualTo(Decision.Kind.WAITING);
    Decision verified =
        pass(
            T0.plusSeconds(30).plus(Duration.ofMinutes(6)),
            stable.next(),
            deployment("STABLE", JobState.RUNNING, "9m", List.of()),
            RAISE,
            Optional.of(new Measures(400, 1300)));
    // 400 ms/s of backpressure would fail "improved by 20%" against a running baseline; against
    // a job that could not run, running is the improvement.
    assertThat(verified.kind()).isEqualTo(Decision.Kind.VERIFIED);
    assertThat(verified.reason()).contains("runs again");
  }

  @Test
  void theSameShortageAfterTheRolloutRollsTheChangeBack() {
    Decision apply =
        pass(
            T0,
            GuardState.initial(),
            deployment("STABLE", JobState.RESTARTING, "1mb", List.of(shortageAt(T0))),
            RAISE,
            Optional.empty());
    Decision broken =
        pass(
            T0.plusSeconds(20),
            apply.next(),
            deployment(
                "DEPLOYED", JobState.RESTARTING, "9m", List.of(shortageAt(T0.plusSeconds(15)))),
            RAISE,
            Optional.empty());
    assertThat(broken.kind()).isEqualTo(Decision.Kind.ROLL_BACK);
    assertThat(broken.patch()).extracting(SettingChange::to).containsOnly("1mb");
  }

  @Test
  void onlyARecentShortageAndOnlyANetworkMemoryChangeSkipTheStableRunningRule() {
    DeploymentState old =
        deployment(
            "STABLE",
            JobState.RESTARTING,
            "1mb",
            List.of(shortageAt(T0.minus(Duration.ofMinutes(6)))));
    assertThat(pass(T0, GuardState.initial(), old, RAISE, Optional.empty()).kind())
        .isEqualTo(Decision.Kind.SKIPPED);

    Plan.Change scale =
        new Plan.Change(
            Cause.TOO_FEW_NETWORK_BUFFERS,
            Optional.empty(),
            List.of(
                MIN, SettingChange.config(ParallelismOverrides.KEY, Optional.empty(), "a1b2:4")),
            List.of(),
            List.of(),
            "scale and raise");
    DeploymentState now = deployment("STABLE", JobState.RESTARTING, "1mb", List.of(shortageAt(T0)));
    assertThat(pass(T0, GuardState.initial(), now, scale, Optional.empty()).kind())
        .isEqualTo(Decision.Kind.SKIPPED);

    DeploymentState upgrading =
        deployment("UPGRADING", JobState.RESTARTING, "1mb", List.of(shortageAt(T0)));
    assertThat(pass(T0, GuardState.initial(), upgrading, RAISE, Optional.empty()).kind())
        .isEqualTo(Decision.Kind.SKIPPED);
  }
}
