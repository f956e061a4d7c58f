package dev.backpressure.bench;

import dev.backpressure.diagnosis.Classifier;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Thresholds;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.SnapshotWindow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints the time to classify a window of 10 snapshots of a 50-vertex job (target: under 1 ms). A
 * plain main, not a timed test: run it with {@code ./mvnw -q test-compile exec:java
 * -Dexec.classpathScope=test -Dexec.mainClass=dev.backpressure.bench.ClassifierBenchmark}.
 */
public final class ClassifierBenchmark {

  private ClassifierBenchmark() {}

  public static void main(String[] args) {
    List<JobSnapshot> snapshots = new ArrayList<>();
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    for (int i = 0; i < 10; i++) {
      snapshots.add(SyntheticJob.snapshot(50, 30, t0.plusSeconds(30L * i), 300.0 * i));
    }
    SnapshotWindow window = SnapshotWindow.of(snapshots);
    Diagnosis check = Classifier.classify(window, Thresholds.DEFAULTS);
    System.out.println(
        "verdict: " + check.cause() + " at " + check.bottleneck().orElseThrow().name());
    Measure.print(
        "classify 10 snapshots x 50 vertices",
        2_000,
        20_000,
        () -> Classifier.classify(window, Thresholds.DEFAULTS));
  }
}
