package dev.backpressure.playground;

import com.fasterxml.jackson.databind.JsonNode;
import dev.backpressure.flink.rest.FlinkRestClient;
import dev.backpressure.flink.rest.ScrapeException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Reads the running job's own numbers for the before/after: its source's backpressure and the
 * events it emits per second. The rate comes from Flink's record counter over a stretch of time,
 * because Flink's per-second meters average over a minute and would lag behind a restart.
 */
final class JobMeter {

  /** One vertex as Flink runs it now. */
  record VertexNow(String id, String name, int parallelism) {}

  /** What the job did over the measured stretch. */
  record Reading(
      String jobId, double sourceBackPressure, double eventsPerSecond, List<VertexNow> vertices) {

    String parallelismOf(String namePart) {
      return vertices.stream()
          .filter(v -> v.name().contains(namePart))
          .map(v -> Integer.toString(v.parallelism()))
          .findFirst()
          .orElse("?");
    }
  }

  private final FlinkRestClient rest;

  JobMeter(URI restUrl) {
    this.rest = new FlinkRestClient(restUrl, Duration.ofSeconds(5));
  }

  /** Measures the running job over the given stretch; fails when no job is running. */
  Reading measure(Duration over) throws ScrapeException, InterruptedException {
    String jobId = runningJob();
    List<VertexNow> vertices = vertices(jobId);
    String source = vertices.get(0).id();
    long start = System.nanoTime();
    double before = fresh(jobId, source, "numRecordsOut", "sum");
    TimeUnit.MILLISECONDS.sleep(over.toMillis());
    long end = System.nanoTime();
    double after = fresh(jobId, source, "numRecordsOut", "sum");
    double bp = sourceMetric(jobId, source, "backPressuredTimeMsPerSecond", "max");
    return new Reading(jobId, bp, (after - before) / ((end - start) / 1e9), vertices);
  }

  /**
   * The value as of now. Flink's REST answers from its metric store and only then fetches newer
   * values in the background, so the first answer can be old: ask, let the fetch land (the clusters
   * here fetch every 500 ms), and ask again.
   */
  private double fresh(String jobId, String vertexId, String metric, String agg)
      throws ScrapeException, InterruptedException {
    sourceMetric(jobId, vertexId, metric, agg);
    TimeUnit.MILLISECONDS.sleep(1000);
    return sourceMetric(jobId, vertexId, metric, agg);
  }

  /** The Flink release that answers, as its REST API names itself. */
  String flinkVersion() throws ScrapeException {
    return rest.get("/config").path("flink-version").asText();
  }

  /** The first line of the latest failure of the job, if it has failed since it was submitted. */
  Optional<String> latestFailure() throws ScrapeException {
    for (JsonNode j : rest.get("/jobs").path("jobs")) {
      JsonNode entries =
          rest.get("/jobs/" + j.path("id").asText() + "/exceptions")
              .path("exceptionHistory")
              .path("entries");
      if (!entries.isEmpty()) {
        JsonNode latest = entries.get(0);
        return Optional.of(
            latest
                .path("stacktrace")
                .asText("")
                .lines()
                .findFirst()
                .orElse(latest.path("exceptionName").asText()));
      }
    }
    return Optional.empty();
  }

  private String runningJob() throws ScrapeException {
    for (JsonNode j : rest.get("/jobs").path("jobs")) {
      if ("RUNNING".equals(j.path("status").asText())) {
        return j.path("id").asText();
      }
    }
    throw new IllegalStateException("no job is running");
  }

  /** Vertices in Flink's order: sources first. */
  private List<VertexNow> vertices(String jobId) throws ScrapeException {
    List<VertexNow> out = new ArrayList<>();
    for (JsonNode v : rest.get("/jobs/" + jobId).path("vertices")) {
      out.add(
          new VertexNow(
              v.path("id").asText(), v.path("name").asText(), v.path("parallelism").asInt()));
    }
    return out;
  }

  private double sourceMetric(String jobId, String vertexId, String metric, String agg)
      throws ScrapeException {
    JsonNode answer =
        rest.get(
            "/jobs/"
                + jobId
                + "/vertices/"
                + vertexId
                + "/subtasks/metrics?get="
                + metric
                + "&agg="
                + agg);
    for (JsonNode m : answer) {
      if (metric.equals(m.path("id").asText()) && m.has(agg)) {
        return m.path(agg).asDouble();
      }
    }
    throw new IllegalStateException("Flink has no " + metric + " for the source yet");
  }
}
