package dev.backpressure.flink.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.backpressure.testing.TestingFlinkRestServer;
import dev.backpressure.testing.TestingFlinkRestServer.Fixture;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Answers recorded from a real Flink 1.20.3 ({@code compute.json}), each altered to hold a value
 * Flink cannot produce: the snapshot is refused with the value named, so nothing is judged from it.
 */
public class ImpossibleAnswersTest {

  private static final Fixture COMPUTE = Fixture.load("/fixtures/flink-1.20.3/compute.json");
  private static final String JOB = "/jobs/" + COMPUTE.jobId();

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

  /**
   * Each alteration: its name, what it does to the stand-in, the failure it must give and the words
   * that name the value. The command line runs them too, at a small heap ({@code
   * cli/HostileDiagnoseIT}).
   */
  public static Stream<Arguments> alterations() {
    return Stream.of(
        impossible("busy 99999 ms/s", vertexMetric("busyTimeMsPerSecond", "max", 99999), "99999"),
        impossible("busy below zero", vertexMetric("busyTimeMsPerSecond", "min", -5), "below 0"),
        impossible(
            "backpressured 5000 ms/s",
            vertexMetric("backPressuredTimeMsPerSecond", "max", 5000),
            "above 2100"),
        impossible(
            "backpressured -1000 ms/s",
            vertexMetric("backPressuredTimeMsPerSecond", "min", -1000),
            "below 0"),
        impossible(
            "idle a billion ms/s", vertexMetric("idleTimeMsPerSecond", "max", 1e9), "1000000000"),
        impossible("idle below zero", vertexMetric("idleTimeMsPerSecond", "min", -0.5), "-0.500"),
        impossible(
            "busy min above max",
            vertexMetric("busyTimeMsPerSecond", "min", 2000)
                .andThen(vertexMetric("busyTimeMsPerSecond", "avg", 1000)),
            "min 2000 above its max"),
        impossible(
            "busy avg outside min and max",
            vertexMetric("busyTimeMsPerSecond", "avg", 1400),
            "avg 1400 outside"),
        impossible(
            "negative records in",
            vertexMetric("numRecordsInPerSecond", "min", -10),
            "numRecordsInPerSecond = -10"),
        impossible(
            "negative records out",
            vertexMetric("numRecordsOutPerSecond", "min", -1e6),
            "numRecordsOutPerSecond"),
        impossible(
            "negative remote bytes",
            vertexMetric("numBytesInRemotePerSecond", "min", -1),
            "numBytesInRemotePerSecond = -1"),
        impossible(
            "negative output pool usage",
            vertexMetric("Shuffle.Netty.Output.Buffers.outPoolUsage", "min", -0.1),
            "outPoolUsage = -0.100"),
        impossible(
            "input pool min above max",
            vertexMetric("Shuffle.Netty.Input.Buffers.inPoolUsage", "min", 5)
                .andThen(vertexMetric("Shuffle.Netty.Input.Buffers.inPoolUsage", "avg", 5)),
            "above its max"),
        impossible(
            "negative floating buffer usage",
            vertexMetric("Shuffle.Netty.Input.Buffers.inputFloatingBuffersUsage", "min", -1),
            "inputFloatingBuffersUsage = -1"),
        impossible(
            "negative total segments",
            taskManagerMetric("Status.Shuffle.Netty.TotalMemorySegments", -4096),
            "TotalMemorySegments"),
        impossible(
            "CPU time below the JVM's -1",
            taskManagerMetric("Status.JVM.CPU.Time", -5),
            "CPU.Time = -5"),
        impossible(
            "CPU load below -1", taskManagerMetric("Status.JVM.CPU.Load", -5), "CPU.Load = -5"),
        impossible(
            "a version that overflows",
            f -> f.rewrite("/config", c -> ((ObjectNode) c).put("flink-version", "99999999999.1")),
            "reports its version as '99999999999.1'"),
        impossible(
            "a running job without vertices",
            jobDetails(
                d -> {
                  ((ArrayNode) d.get("vertices")).removeAll();
                  ((ObjectNode) d.get("plan")).putArray("nodes");
                }),
            "RUNNING but has no vertices"),
        Arguments.of(
            "the same vertex twice",
            jobDetails(
                d -> ((ArrayNode) d.get("vertices")).add(d.get("vertices").get(0).deepCopy())),
            ScrapeFailure.MALFORMED,
            "twice"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("alterations")
  void isRefusedWithTheValueNamed(
      String name, Consumer<TestingFlinkRestServer> alter, ScrapeFailure kind, String named) {
    alter.accept(flink);
    assertThatThrownBy(() -> reader().read(COMPUTE.jobId(), Set.of()))
        .isInstanceOfSatisfying(
            ScrapeException.class,
            e -> {
              assertThat(e.failure()).isEqualTo(kind);
              assertThat(e.getMessage()).contains(named).doesNotContain("\n");
            });
  }

  @Test
  void backpressureAboveASecondPerSecondAsOverdraftBuffersGiveIsStillRead() throws Exception {
    // Seen on Flink 1.20.3: a sender whose records span overdraft buffers, 1210 ms/s.
    vertexMetric("backPressuredTimeMsPerSecond", "max", 1210).accept(flink);
    assertThat(reader().read(COMPUTE.jobId(), Set.of()).graph().vertices()).hasSize(2);
  }

  @Test
  void aFlinkBuiltWithoutVersionInformationIsStillRead() throws Exception {
    flink.rewrite("/config", c -> ((ObjectNode) c).put("flink-version", "<unknown>"));
    // Accepted as Flink (a version unknown); which metrics it is asked for then differs from the
    // recording, so the check stops at the endpoint's identity.
    assertThat(reader().resolveJob(null)).isEqualTo(COMPUTE.jobId());
  }

  private SnapshotReader reader() {
    return new SnapshotReader(
        new FlinkRestClient(flink.url(), Duration.ofSeconds(5)), pool, Clock.systemUTC());
  }

  private static Arguments impossible(
      String name, Consumer<TestingFlinkRestServer> alter, String named) {
    return Arguments.of(name, alter, ScrapeFailure.IMPOSSIBLE, named);
  }

  /** Sets one aggregate of a metric in every vertex's answer. */
  private static Consumer<TestingFlinkRestServer> vertexMetric(
      String metric, String aggregate, double value) {
    return f ->
        f.rewrite(
            JOB + "/vertices/",
            body -> {
              if (body.isArray()) {
                for (JsonNode m : body) {
                  if (metric.equals(m.path("id").asText())) {
                    ((ObjectNode) m).put(aggregate, value);
                  }
                }
              }
              return body;
            });
  }

  /** Sets every aggregate of a TaskManager metric. */
  private static Consumer<TestingFlinkRestServer> taskManagerMetric(String metric, double value) {
    return f ->
        f.rewrite(
            "/taskmanagers/metrics",
            body -> {
              for (JsonNode m : body) {
                if (metric.equals(m.path("id").asText())) {
                  ((ObjectNode) m)
                      .put("min", value)
                      .put("max", value)
                      .put("avg", value)
                      .put("sum", value);
                }
              }
              return body;
            });
  }

  private static Consumer<TestingFlinkRestServer> jobDetails(Consumer<ObjectNode> change) {
    return f ->
        f.rewrite(
            JOB,
            body -> {
              if (body.has("jid") && body.has("vertices")) {
                change.accept((ObjectNode) body);
              }
              return body;
            });
  }
}
