package dev.backpressure.watch;

import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.flink.rest.ScrapeException;
import dev.backpressure.flink.rest.ScrapeFailure;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Looks at a job again and again, an interval apart, until the caller has seen enough: the loop the
 * command line, the real-Flink tests and the fixture recorder share. Flink has no task metrics for
 * the first seconds of a job; those looks are waited out, up to a bound, and any other failure to
 * read ends the sampling.
 */
public final class JobSampler {

  /** What the caller does with each look. */
  public interface Looker {
    /** The diagnosis of the window so far; true when enough has been seen. */
    boolean looked(Diagnosis d);

    /** Flink has no task metrics yet: this look is waited out. */
    default void waiting(ScrapeException e) {}
  }

  /**
   * How the sampling ended.
   *
   * @param last the last diagnosis, if any look gave one
   * @param enough whether the looker said so, rather than the looks or the time running out
   */
  public record Sampled(Optional<Diagnosis> last, boolean enough) {}

  private final JobWatch watch;
  private final Duration interval;

  public JobSampler(JobWatch watch, Duration interval) {
    this.watch = watch;
    this.interval = interval;
  }

  /**
   * Looks until the looker has seen enough, {@code looks} diagnoses were taken, or {@code timeout}
   * has passed, waiting out at most {@code waits} looks without metrics. No pause follows the last
   * look.
   */
  public Sampled run(int looks, int waits, Duration timeout, Looker looker)
      throws ScrapeException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Optional<Diagnosis> last = Optional.empty();
    int taken = 0;
    int waited = 0;
    while (taken < looks && System.nanoTime() < deadline) {
      try {
        Diagnosis d = watch.observe();
        last = Optional.of(d);
        taken++;
        if (looker.looked(d)) {
          return new Sampled(last, true);
        }
      } catch (ScrapeException e) {
        if (e.failure() != ScrapeFailure.METRICS_UNAVAILABLE || ++waited > waits) {
          throw e;
        }
        looker.waiting(e);
      }
      if (taken < looks) {
        TimeUnit.MILLISECONDS.sleep(interval.toMillis());
      }
    }
    return new Sampled(last, false);
  }
}
