package dev.backpressure.testing;

import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Evidence;
import dev.backpressure.diagnosis.Thresholds;
import dev.backpressure.flink.rest.FlinkRestClient;
import dev.backpressure.flink.rest.ScrapeException;
import dev.backpressure.flink.rest.ScrapeFailure;
import dev.backpressure.flink.rest.SnapshotReader;
import dev.backpressure.watch.JobWatch;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Watches a job on a real Flink until its diagnosis meets a condition, sampling once a second (the
 * metrics are per-second rates, so sampling faster shows nothing new).
 */
public final class Observation {

  /** Short sustain settings so that a test decides in seconds, with the default rules. */
  public static final Thresholds TEST_THRESHOLDS =
      Thresholds.DEFAULTS.with(Map.of("sustainSamples", "4", "sustainDuration", "3s"));

  private Observation() {}

  /** The history of an observation, printed when an assertion on it fails. */
  public record Result(Diagnosis diagnosis, List<String> history) {
    @Override
    public String toString() {
      return String.join("\n", history);
    }
  }

  public static Result until(URI restUrl, String jobId, Predicate<Diagnosis> done, Duration timeout)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      SnapshotReader reader =
          new SnapshotReader(
              new FlinkRestClient(restUrl, Duration.ofSeconds(5)), pool, Clock.systemUTC());
      JobWatch watch = new JobWatch(reader, jobId, TEST_THRESHOLDS, 6, Duration.ofMinutes(5));
      List<String> history = new ArrayList<>();
      long deadline = System.nanoTime() + timeout.toNanos();
      Diagnosis last = null;
      while (System.nanoTime() < deadline) {
        try {
          last = watch.observe();
          history.add(render(last));
          if (done.test(last) || last.jobState() == dev.backpressure.flink.JobState.FAILED) {
            return new Result(last, history);
          }
        } catch (ScrapeException e) {
          if (e.failure() != ScrapeFailure.METRICS_UNAVAILABLE) {
            throw e;
          }
          history.add("metrics not yet available");
        }
        TimeUnit.SECONDS.sleep(1);
      }
      return new Result(last, history);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Until the window is full and the diagnosis is sustained backpressure (or a failing job). */
  public static Result untilSustained(URI restUrl, String jobId, Duration timeout)
      throws Exception {
    return until(
        restUrl, jobId, d -> d.symptom().sustained() && d.symptom().samples() >= 6, timeout);
  }

  private static String render(Diagnosis d) {
    StringBuilder b = new StringBuilder();
    b.append(d.symptom().backpressuredSamples())
        .append('/')
        .append(d.symptom().samples())
        .append(" sustained=")
        .append(d.symptom().sustained())
        .append(" cause=")
        .append(d.cause())
        .append(" at=")
        .append(d.bottleneck().map(v -> v.name()).orElse("-"))
        .append(String.format(" conf=%.2f", d.confidence()));
    for (Evidence e : d.evidence()) {
      b.append("\n    ").append(e.describe());
    }
    for (String n : d.notes()) {
      b.append("\n    note: ").append(n);
    }
    return b.toString();
  }
}
