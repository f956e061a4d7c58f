package dev.backpressure.bench.sidebyside;

import com.fasterxml.jackson.databind.JsonNode;
import dev.backpressure.flink.rest.FlinkRestClient;
import dev.backpressure.flink.rest.ScrapeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The judge both sides are measured by: Flink's own figure for the job's worst backpressured
 * subtask, read every few seconds, says when backpressure began and when the job has been free of
 * it for long enough to call it gone. It reads three small answers per look, not a whole snapshot.
 */
final class BackpressureProbe {

  static final Duration EVERY = Duration.ofSeconds(5);

  /** Flink's web UI calls a subtask's backpressure high above half of each second. */
  static final double HIGH = 500;

  /**
   * Long enough that a restarted job still held up shows it (these jobs did within 15 s), fixed
   * here so that the judge does not move with either side's settings.
   */
  static final Duration CALM_FOR = Duration.ofSeconds(90);

  private final FlinkRestClient rest;
  private final String job;
  private final double threshold;
  private final Duration calmFor;
  private final CompletableFuture<Instant> settled = new CompletableFuture<>();
  private volatile Instant onset;
  private volatile Instant calmSince;
  private volatile boolean read;

  /**
   * @param threshold ms/s of backpressure from which a subtask counts as backpressured
   * @param calmFor how long no subtask may reach it before the backpressure counts as gone
   */
  BackpressureProbe(FlinkRestClient rest, String job, double threshold, Duration calmFor) {
    this.rest = rest;
    this.job = job;
    this.threshold = threshold;
    this.calmFor = calmFor;
  }

  /** One look; a figure it cannot read counts as not calm, so nothing is called gone unseen. */
  void look() {
    Instant now = Instant.now();
    try {
      Optional<Double> worst = worstBackpressure();
      if (worst.isEmpty()) {
        calmSince = null;
      } else if (worst.get() >= threshold) {
        if (onset == null) {
          onset = now;
        }
        calmSince = null;
      } else {
        if (calmSince == null) {
          calmSince = now;
        }
        if (Duration.between(calmSince, now).compareTo(calmFor) >= 0) {
          settled.complete(calmSince);
        }
      }
    } catch (ScrapeException | RuntimeException e) {
      calmSince = null;
    }
  }

  /** The worst subtask's figure over every vertex, or empty while the job is not RUNNING. */
  private Optional<Double> worstBackpressure() throws ScrapeException {
    JsonNode details = rest.get("/jobs/" + job);
    if (!"RUNNING".equals(details.path("state").asText())) {
      return Optional.empty();
    }
    double worst = 0;
    for (JsonNode vertex : details.path("vertices")) {
      if (!"RUNNING".equals(vertex.path("status").asText())) {
        // Waiting for slots, or starting: nothing to judge yet.
        return Optional.empty();
      }
      JsonNode answer =
          rest.get(
              "/jobs/"
                  + job
                  + "/vertices/"
                  + vertex.path("id").asText()
                  + "/subtasks/metrics?get=backPressuredTimeMsPerSecond&agg=max");
      if (answer.size() == 0 || !answer.get(0).has("max")) {
        // Not reported yet: the tasks are still starting.
        return Optional.empty();
      }
      worst = Math.max(worst, answer.get(0).path("max").asDouble());
    }
    read = true;
    return Optional.of(worst);
  }

  /** Whether every task of the job has run and reported its figures at least once. */
  boolean everRead() {
    return read;
  }

  /** When backpressure was first seen on this run. */
  Optional<Instant> onset() {
    return Optional.ofNullable(onset);
  }

  /** Completed with the start of the first calm stretch of {@code calmFor}. */
  CompletableFuture<Instant> settled() {
    return settled;
  }
}
