package dev.backpressure.testing;

import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Evidence;
import dev.backpressure.diagnosis.Thresholds;
import dev.backpressure.flink.JobState;
import dev.backpressure.flink.rest.FlinkRestClient;
import dev.backpressure.flink.rest.ScrapeException;
import dev.backpressure.flink.rest.SnapshotReader;
import dev.backpressure.watch.JobSampler;
import dev.backpressure.watch.JobWatch;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * Watches a job on a real Flink until its diagnosis meets a condition, sampling once a second (the
 * metrics are per-second rates, so sampling faster shows nothing new).
 */
public final class Observation {

  /** Short sustain settings so that a test decides in seconds, with the default rules. */
  public static final Thresholds TEST_THRESHOLDS =
      Thresholds.DEFAULTS.with(Map.of("sustainSamples", "4", "sustainDuration", "3s"));

  /** Snapshots in the tests' window: a signal shown in all of them is sustained. */
  public static final int WINDOW = 6;

  private Observation() {}

  /**
   * The history of an observation, printed when an assertion on it fails.
   *
   * @param signalShown whether the observation ended on its condition (the scenario's signal, or
   *     the diagnosis waited for) rather than on its timeout
   */
  public record Result(Diagnosis diagnosis, List<String> history, boolean signalShown) {
    @Override
    public String toString() {
      return String.join("\n", history);
    }
  }

  /**
   * Until the job has shown the signal in {@link Signal#samples()} snapshots in a row, counted once
   * the job has reported metrics for {@link Signal#settle()}: the diagnosis is then of a window in
   * which the situation was really there. On timeout the result says the signal was not shown, and
   * its history holds what each snapshot showed instead.
   */
  public static Result untilSignal(URI restUrl, String jobId, Signal signal, Duration timeout)
      throws Exception {
    int[] inARow = {0};
    long[] firstMetricsAt = {0};
    return observe(
        restUrl,
        jobId,
        (watch, d) -> {
          long now = System.nanoTime();
          if (firstMetricsAt[0] == 0) {
            firstMetricsAt[0] = now;
          }
          Signal.Readings readings = signal.read(watch.window());
          boolean settled = now - firstMetricsAt[0] >= signal.settle().toNanos();
          inARow[0] = settled && readings.hold() ? inARow[0] + 1 : 0;
          return new Step(
              inARow[0] >= signal.samples(), "    " + (settled ? "" : "(settling) ") + readings);
        },
        timeout.plus(signal.settle()));
  }

  public static Result until(URI restUrl, String jobId, Predicate<Diagnosis> done, Duration timeout)
      throws Exception {
    return observe(
        restUrl,
        jobId,
        (watch, d) -> new Step(done.test(d) || d.jobState() == JobState.FAILED, null),
        timeout);
  }

  /** What one look decided: whether to stop, and a line to add to the history. */
  private record Step(boolean done, String line) {}

  private interface Look {
    Step after(JobWatch watch, Diagnosis d);
  }

  private static Result observe(URI restUrl, String jobId, Look look, Duration timeout)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      SnapshotReader reader =
          new SnapshotReader(
              new FlinkRestClient(restUrl, Duration.ofSeconds(5)), pool, Clock.systemUTC());
      JobWatch watch = new JobWatch(reader, jobId, TEST_THRESHOLDS, WINDOW, Duration.ofMinutes(5));
      List<String> history = new ArrayList<>();
      JobSampler.Sampled sampled =
          new JobSampler(watch, Duration.ofSeconds(1))
              .run(
                  Integer.MAX_VALUE,
                  Integer.MAX_VALUE,
                  timeout,
                  new JobSampler.Looker() {
                    @Override
                    public boolean looked(Diagnosis d) {
                      history.add(render(d));
                      Step step = look.after(watch, d);
                      if (step.line() != null) {
                        history.add(step.line());
                      }
                      return step.done();
                    }

                    @Override
                    public void waiting(ScrapeException e) {
                      history.add("metrics not yet available");
                    }
                  });
      return new Result(sampled.last().orElse(null), history, sampled.enough());
    } finally {
      pool.shutdownNow();
    }
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
