package dev.backpressure.flink.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.backpressure.flink.FailureSign;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.JobState;
import dev.backpressure.flink.Vertex;
import dev.backpressure.flink.VertexMetric;
import dev.backpressure.testing.Await;
import dev.backpressure.testing.TestingClock;
import dev.backpressure.testing.TestingFlinkRestServer;
import dev.backpressure.testing.TestingFlinkRestServer.Fault;
import dev.backpressure.testing.TestingFlinkRestServer.Fixture;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The snapshot reader on answers recorded from a real Flink 1.20.3, and on broken ones. */
class SnapshotReaderTest {

  private static final Fixture COMPUTE = Fixture.load("/fixtures/flink-1.20.3/compute.json");

  private TestingFlinkRestServer flink;
  private ExecutorService pool;

  @BeforeEach
  void start() throws Exception {
    flink = TestingFlinkRestServer.replaying(COMPUTE);
    pool = Executors.newFixedThreadPool(4);
  }

  @AfterEach
  void stop() {
    flink.close();
    pool.shutdownNow();
  }

  private SnapshotReader reader(Duration timeout) {
    return new SnapshotReader(new FlinkRestClient(flink.url(), timeout), pool, Clock.systemUTC());
  }

  @Test
  void readsTheGraphTheMetricsAndTheVersion() throws Exception {
    JobSnapshot s = reader(Duration.ofSeconds(5)).read(COMPUTE.jobId(), Set.of());
    assertThat(s.state()).isEqualTo(JobState.RUNNING);
    assertThat(s.flinkVersion().raw()).isEqualTo("1.20.3");
    assertThat(s.graph().vertices())
        .extracting(Vertex::name)
        .containsExactly("Source: Sequence Source", "heavy map -> discard: Writer");
    assertThat(s.graph().edges())
        .singleElement()
        .satisfies(e -> assertThat(e.shipStrategy()).isEqualTo("REBALANCE"));
    Vertex map = s.graph().vertices().get(1);
    assertThat(s.metric(map.id(), VertexMetric.BUSY)).isPresent();
    assertThat(s.metric(map.id(), VertexMetric.BUSY).get().max()).isBetween(0.0, 1000.0);
    assertThat(s.taskManagerInfo()).hasSize(1);
    assertThat(s.configuration()).containsKey("rest.flamegraph.enabled");
  }

  @Test
  void takesAtMostVPlusSixRequestsOnceTheClusterIsKnown() throws Exception {
    SnapshotReader reader = reader(Duration.ofSeconds(5));
    JobSnapshot first = reader.read(COMPUTE.jobId(), Set.of());
    JobSnapshot second = reader.read(COMPUTE.jobId(), Set.of());
    int v = second.graph().vertices().size();
    // The first read also lists the TaskManagers (cores, in-process or not): V + 7.
    assertThat(first.requests()).isEqualTo(v + 7);
    assertThat(second.requests()).isEqualTo(v + 6);
  }

  @Test
  void nanAndMissingMetricsAreUnknownNotZero() throws Exception {
    flink.rewrite(
        "/jobs/" + COMPUTE.jobId() + "/vertices/",
        body -> {
          for (JsonNode m : body) {
            if (m.path("id").asText().equals("busyTimeMsPerSecond")) {
              ((ObjectNode) m).put("min", "NaN").put("avg", "NaN").put("max", "NaN");
            }
          }
          ArrayNode kept = JsonNodeFactory.instance.arrayNode();
          body.forEach(
              m -> {
                if (!m.path("id").asText().endsWith("inPoolUsage")) {
                  kept.add(m);
                }
              });
          return kept;
        });
    JobSnapshot s = reader(Duration.ofSeconds(5)).read(COMPUTE.jobId(), Set.of());
    for (Vertex v : s.graph().vertices()) {
      assertThat(s.metric(v.id(), VertexMetric.BUSY)).isEmpty();
      assertThat(s.metric(v.id(), VertexMetric.IN_POOL_USAGE)).isEmpty();
      assertThat(s.metric(v.id(), VertexMetric.BACK_PRESSURED)).isPresent();
    }
  }

  @Test
  void aMetricMissingWhenFirstListedIsAskedForAgainLater() throws Exception {
    // A task registers its network metrics after its first ones: a listing made in between lacks
    // outPoolUsage, and must not hide it for the job's life.
    String source =
        "/jobs/" + COMPUTE.jobId() + "/vertices/20ba6b65f97481d5570070de90e4e791/subtasks/metrics";
    JsonNode full = flink.answerOf(source + "?get=");
    ArrayNode early = JsonNodeFactory.instance.arrayNode();
    full.forEach(
        m -> {
          if (!m.path("id").asText().endsWith("outPoolUsage")) {
            early.add(m);
          }
        });
    // Asked for every metric, Flink answers [] while one is missing; the listing (answered here
    // with values too, so that it also answers the narrower request) lacks it.
    String agg = "&agg=min,max,avg,sum,skew";
    String everyMetric = names(EnumSet.allOf(VertexMetric.class));
    // (The recording predates the record counter: its listing lacks that too.)
    String allButPool =
        names(
            EnumSet.complementOf(
                EnumSet.of(VertexMetric.OUT_POOL_USAGE, VertexMetric.RECORDS_OUT_TOTAL)));
    flink.fail(source + "?get=" + everyMetric + agg, new Fault.Body("[]"));
    flink.answer(source, early);
    flink.answer(source + "?get=" + allButPool + agg, early);
    TestingClock clock = new TestingClock(Instant.parse("2026-01-01T00:00:00Z"));
    SnapshotReader reader =
        new SnapshotReader(new FlinkRestClient(flink.url(), Duration.ofSeconds(5)), pool, clock);
    String id = "20ba6b65f97481d5570070de90e4e791";

    assertThat(reader.read(COMPUTE.jobId(), Set.of()).metric(id, VertexMetric.OUT_POOL_USAGE))
        .isEmpty();
    flink.clearFaults();
    flink.answer(source, full); // the network metrics are registered now
    clock.advance(SnapshotReader.RELIST_INCOMPLETE_AFTER.minusSeconds(1));
    assertThat(reader.read(COMPUTE.jobId(), Set.of()).metric(id, VertexMetric.OUT_POOL_USAGE))
        .as("listed a moment ago: not asked for yet")
        .isEmpty();
    clock.advance(Duration.ofSeconds(1));
    assertThat(reader.read(COMPUTE.jobId(), Set.of()).metric(id, VertexMetric.OUT_POOL_USAGE))
        .as("listed again once the listing is old")
        .isPresent();
  }

  private static String names(Set<VertexMetric> metrics) {
    return metrics.stream()
        .map(VertexMetric::flinkName)
        .collect(java.util.stream.Collectors.joining(","));
  }

  @Test
  void readsTheFlink2ExceptionShape() throws Exception {
    // Flink 2.x has no root-exception, only exceptionHistory; adjusted from the
    // recorded 1.20.3 answer.
    flink.rewrite(
        "/jobs/" + COMPUTE.jobId() + "/exceptions",
        body -> {
          ObjectNode root = JsonNodeFactory.instance.objectNode();
          ObjectNode entry = root.putObject("exceptionHistory").putArray("entries").addObject();
          entry.put("exceptionName", "java.io.IOException");
          entry.put(
              "stacktrace",
              "java.io.IOException: Insufficient number of network buffers: required 9");
          entry.put("timestamp", 1795597344627L);
          entry.put("taskName", "heavy map -> discard: Writer (1/2)");
          entry.putArray("concurrentExceptions");
          ((ObjectNode) root.get("exceptionHistory")).put("truncated", false);
          return root;
        });
    JobSnapshot s = reader(Duration.ofSeconds(5)).read(COMPUTE.jobId(), Set.of());
    assertThat(s.exceptions())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.shows(FailureSign.INSUFFICIENT_NETWORK_BUFFERS)).isTrue();
              assertThat(f.taskName()).startsWith("heavy map");
            });
  }

  @Test
  void exceptionsAreKeptToTheirMessagesAndANumberOfThem() throws Exception {
    // 25 failures of 5 subtasks each, with hundreds of frames around the messages the rules read.
    String frames = "\tat org.example.Deep.call(Deep.java:1)\n".repeat(200);
    String trace =
        "org.apache.flink.runtime.JobException: Recovery is suppressed\n"
            + frames
            + "Caused by: java.io.IOException: Insufficient number of network buffers: required 9\n"
            + frames
            + "\tSuppressed: java.lang.OutOfMemoryError: Direct buffer memory\n"
            + frames;
    flink.rewrite(
        "/jobs/" + COMPUTE.jobId() + "/exceptions",
        body -> {
          ObjectNode root = JsonNodeFactory.instance.objectNode();
          var entries = root.putObject("exceptionHistory").putArray("entries");
          for (int i = 0; i < 25; i++) {
            ObjectNode entry = entries.addObject();
            entry.put("exceptionName", "org.apache.flink.runtime.JobException");
            entry.put("stacktrace", trace);
            entry.put("timestamp", 1795597344627L - i);
            var concurrent = entry.putArray("concurrentExceptions");
            for (int c = 0; c < 4; c++) {
              concurrent.addObject().put("stacktrace", trace).put("timestamp", 1795597344627L - i);
            }
          }
          return root;
        });
    FlinkRestClient client =
        new FlinkRestClient(
            FlinkRestClient.httpClient(Duration.ofSeconds(5)),
            flink.url(),
            Duration.ofSeconds(5),
            16L << 20);
    JobSnapshot s =
        new SnapshotReader(client, pool, Clock.systemUTC()).read(COMPUTE.jobId(), Set.of());
    // 1 + 3 concurrent kept of each: 5 failures' worth, the newest, fill the 20.
    assertThat(s.exceptions()).hasSize(ResponseParser.MAX_FAILURES);
    assertThat(s.exceptions().get(4).timestampMillis()).isEqualTo(1795597344627L - 1);
    assertThat(s.exceptions().get(0).stacktrace().lines())
        .containsExactly(
            "org.apache.flink.runtime.JobException: Recovery is suppressed",
            "Caused by: java.io.IOException: Insufficient number of network buffers: required 9",
            "\tSuppressed: java.lang.OutOfMemoryError: Direct buffer memory");
    assertThat(s.exceptions().get(0).headline())
        .isEqualTo("java.io.IOException: Insufficient number of network buffers: required 9");
  }

  @Test
  void anExceptionsAnswerOverTheLimitLeavesTheMetricsReadable() throws Exception {
    flink.fail("/jobs/" + COMPUTE.jobId() + "/exceptions", new Fault.Huge(64L << 20));
    JobSnapshot s = reader(Duration.ofSeconds(5)).read(COMPUTE.jobId(), Set.of());
    assertThat(s.exceptions()).isEmpty();
    assertThat(s.hasMetrics()).isTrue();
  }

  @Test
  void aJobOfMoreVerticesThanTheLimitIsRefused() {
    flink.rewrite(
        "/jobs/" + COMPUTE.jobId(),
        body -> {
          if (body.has("vertices") && body.has("jid")) {
            var vertices = (com.fasterxml.jackson.databind.node.ArrayNode) body.get("vertices");
            for (int i = 0; i < ResponseParser.MAX_VERTICES; i++) {
              vertices.addObject().put("id", String.format("%032x", i)).put("parallelism", 1);
            }
          }
          return body;
        });
    assertThatThrownBy(() -> reader(Duration.ofSeconds(5)).read(COMPUTE.jobId(), Set.of()))
        .isInstanceOfSatisfying(
            ScrapeException.class,
            e -> {
              assertThat(e.failure()).isEqualTo(ScrapeFailure.TOO_LARGE);
              assertThat(e.getMessage()).contains("lists 1002 vertices; jobs of up to 1000");
            });
  }

  @Test
  void readsTheFlink1RootException() throws Exception {
    flink.rewrite(
        "/jobs/" + COMPUTE.jobId() + "/exceptions",
        body -> {
          ObjectNode root = JsonNodeFactory.instance.objectNode();
          root.put("root-exception", "java.lang.RuntimeException: boom\n\tat x.y(Z.java:1)");
          root.put("timestamp", 1795597344627L);
          root.putArray("all-exceptions");
          root.put("truncated", false);
          root.putObject("exceptionHistory").putArray("entries");
          return root;
        });
    JobSnapshot s = reader(Duration.ofSeconds(5)).read(COMPUTE.jobId(), Set.of());
    assertThat(s.exceptions())
        .singleElement()
        .satisfies(f -> assertThat(f.headline()).isEqualTo("java.lang.RuntimeException: boom"));
  }

  @Test
  void aRequestThatHangsIsATimeoutAndNoSnapshot() {
    flink.fail("/jobmanager/config", new Fault.Hang());
    assertThatThrownBy(() -> reader(Duration.ofMillis(500)).read(COMPUTE.jobId(), Set.of()))
        .isInstanceOfSatisfying(
            ScrapeException.class, e -> assertThat(e.failure()).isEqualTo(ScrapeFailure.TIMEOUT));
  }

  @Test
  void aBodyThatStallsAfterTheHeadersIsATimeoutToo() {
    // The JDK client's request timeout ends when the headers arrive; the body needs its own.
    flink.fail("/jobmanager/config", new Fault.StallBody());
    long start = System.nanoTime();
    assertThatThrownBy(() -> reader(Duration.ofMillis(500)).read(COMPUTE.jobId(), Set.of()))
        .isInstanceOfSatisfying(
            ScrapeException.class, e -> assertThat(e.failure()).isEqualTo(ScrapeFailure.TIMEOUT));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void oneFailingVertexRequestFailsTheWholeSnapshot() {
    flink.fail(
        "/jobs/" + COMPUTE.jobId() + "/vertices/",
        new Fault.Status(500, "{\"errors\":[\"boom\"]}"));
    assertThatThrownBy(() -> reader(Duration.ofSeconds(5)).read(COMPUTE.jobId(), Set.of()))
        .isInstanceOfSatisfying(
            ScrapeException.class,
            e -> {
              assertThat(e.failure()).isEqualTo(ScrapeFailure.HTTP_STATUS);
              assertThat(e.httpStatus()).isEqualTo(500);
            });
  }

  @Test
  void aFinishedJobIsNotRunning() {
    flink.rewrite(
        "/jobs/" + COMPUTE.jobId(),
        body ->
            body.isObject() && body.has("vertices")
                ? ((ObjectNode) body).put("state", "FINISHED")
                : body);
    assertThatThrownBy(() -> reader(Duration.ofSeconds(5)).read(COMPUTE.jobId(), Set.of()))
        .isInstanceOfSatisfying(
            ScrapeException.class,
            e -> assertThat(e.failure()).isEqualTo(ScrapeFailure.JOB_NOT_RUNNING));
  }

  @Test
  void metricsNotYetFetchedAreUnavailableNotZero() {
    // What Flink answers before its metric fetcher has run: [] to every metrics request.
    flink.fail("/jobs/" + COMPUTE.jobId() + "/vertices/", new Fault.Body("[]"));
    assertThatThrownBy(() -> reader(Duration.ofSeconds(5)).read(COMPUTE.jobId(), Set.of()))
        .isInstanceOfSatisfying(
            ScrapeException.class,
            e -> assertThat(e.failure()).isEqualTo(ScrapeFailure.METRICS_UNAVAILABLE));
  }

  @Test
  void findsTheOnlyRunningJob() throws Exception {
    assertThat(reader(Duration.ofSeconds(5)).resolveJob(null)).isEqualTo(COMPUTE.jobId());
  }

  @Test
  void aSnapshotThatFailsSendsNoneOfItsWaitingRequests() throws Exception {
    ThreadPoolExecutor shared =
        new ThreadPoolExecutor(8, 8, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
    try {
      // Three answers never come; the details of a job the recording does not know come at once,
      // as "not found". The snapshot asks six things at once, four at a time.
      String missing = "00000000000000000000000000000000";
      flink.fail("/config", new Fault.Hang());
      flink.fail("/jobmanager/config", new Fault.Hang());
      flink.fail("/jobs/" + missing + "/config", new Fault.Hang());
      SnapshotReader reader =
          new SnapshotReader(
              new FlinkRestClient(flink.url(), Duration.ofSeconds(1)), shared, Clock.systemUTC());

      assertThatThrownBy(() -> reader.read(missing, Set.of()))
          .isInstanceOf(ScrapeException.class)
          .hasMessageContaining("does not exist");
      Await.until(
          "the hanging requests to time out",
          () -> shared.getActiveCount() == 0 && shared.getQueue().isEmpty(),
          idle -> idle,
          Duration.ofSeconds(30));
      // The slot the details free may be taken before the failure is seen; the rest never are.
      assertThat(flink.requestCount())
          .as("the details, the three that hung, at most one more; not all six")
          .isLessThanOrEqualTo(SnapshotReader.MAX_CONCURRENT_REQUESTS + 1);
    } finally {
      shared.shutdownNow();
    }
  }
}
