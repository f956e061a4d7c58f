package dev.backpressure.bench;

import dev.backpressure.diagnosis.Classifier;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Thresholds;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.JobState;
import dev.backpressure.flink.SnapshotWindow;
import dev.backpressure.remediation.DeploymentState;
import dev.backpressure.remediation.DeploymentView;
import dev.backpressure.remediation.Guard;
import dev.backpressure.remediation.GuardSettings;
import dev.backpressure.remediation.GuardState;
import dev.backpressure.remediation.Lifecycle;
import dev.backpressure.remediation.Measures;
import dev.backpressure.remediation.Plan;
import dev.backpressure.remediation.Planner;
import dev.backpressure.remediation.RemedyLimits;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Prints the time of one plan + guard decision for a 50-vertex job (target: under 1 ms). A plain
 * main: {@code ./mvnw -q test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.backpressure.bench.PlanAndGuardBenchmark}.
 */
public final class PlanAndGuardBenchmark {

  private PlanAndGuardBenchmark() {}

  public static void main(String[] args) {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    List<JobSnapshot> snapshots = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      snapshots.add(SyntheticJob.snapshot(50, 30, t0.plusSeconds(30L * i), 300.0 * i));
    }
    JobSnapshot latest = snapshots.get(snapshots.size() - 1);
    Diagnosis diagnosis = Classifier.classify(SnapshotWindow.of(snapshots), Thresholds.DEFAULTS);
    DeploymentView deployment = DeploymentView.fromSnapshot(latest);
    DeploymentState state =
        new DeploymentState(
            Lifecycle.STABLE,
            JobState.RUNNING,
            "savepoint",
            false,
            false,
            Map.of(),
            List.of(),
            Optional.empty());
    GuardSettings enforce =
        new GuardSettings(
            true,
            GuardSettings.DEFAULTS.cooldown(),
            3,
            GuardSettings.DEFAULTS.stabilizationTimeout(),
            GuardSettings.DEFAULTS.verificationWindow(),
            0.2,
            0.05,
            false,
            GuardSettings.DEFAULTS.blacklistFor(),
            List.of());
    Optional<Measures> measures = Measures.of(latest);
    Plan check = Planner.plan(diagnosis, latest, deployment, RemedyLimits.DEFAULTS);
    System.out.println(
        "plan: "
            + check.summary()
            + "; guard: "
            + Guard.decide(
                    t0,
                    GuardState.initial(),
                    enforce,
                    state,
                    Optional.of(diagnosis),
                    Optional.of(check),
                    measures)
                .kind());
    Measure.print(
        "plan + guard, 50 vertices",
        2_000,
        20_000,
        () -> {
          Plan plan = Planner.plan(diagnosis, latest, deployment, RemedyLimits.DEFAULTS);
          Guard.decide(
              t0,
              GuardState.initial(),
              enforce,
              state,
              Optional.of(diagnosis),
              Optional.of(plan),
              measures);
        });
  }
}
