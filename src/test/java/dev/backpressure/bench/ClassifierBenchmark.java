package dev.backpressure.bench;

import dev.backpressure.diagnosis.Classifier;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Thresholds;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.SnapshotWindow;
import dev.backpressure.flink.rest.FlinkRestClient;
import dev.backpressure.flink.rest.ScrapeException;
import dev.backpressure.flink.rest.SnapshotReader;
import dev.backpressure.testing.TestingFlinkRestServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Prints the time to classify a window of 10 snapshots of a 50-vertex job (target: under 1 ms), and
 * the time to read and parse one snapshot of such a job from a Flink REST stand-in on loopback. A
 * plain main, not a timed test: run it with {@code ./mvnw -q test-compile exec:java
 * -Dexec.classpathScope=test -Dexec.mainClass=dev.backpressure.bench.ClassifierBenchmark}.
 */
public final class ClassifierBenchmark {

  private ClassifierBenchmark() {}

  public static void main(String[] args) throws Exception {
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

    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (TestingFlinkRestServer flink =
        TestingFlinkRestServer.replaying(
            new TestingFlinkRestServer.Fixture(
                "1.20.3",
                "bench",
                OperatorScaleBenchmark.JOB,
                OperatorScaleBenchmark.exchanges(50)))) {
      SnapshotReader reader =
          new SnapshotReader(
              new FlinkRestClient(flink.url(), Duration.ofSeconds(5)), pool, Clock.systemUTC());
      // The first read also lists the TaskManagers; later ones only when their count changes.
      reader.read(OperatorScaleBenchmark.JOB, Set.of());
      int before = flink.requestCount();
      reader.read(OperatorScaleBenchmark.JOB, Set.of());
      System.out.println("HTTP requests per snapshot: " + (flink.requestCount() - before));
      Measure.print(
          "read + parse one snapshot of 50 vertices from a loopback HTTP server",
          20,
          200,
          () -> {
            try {
              reader.read(OperatorScaleBenchmark.JOB, Set.of());
            } catch (ScrapeException e) {
              throw new IllegalStateException(e);
            }
          });
    } finally {
      pool.shutdownNow();
    }
  }
}
