package dev.backpressure.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.flink.rest.FlinkRestClient;
import dev.backpressure.flink.rest.SnapshotReader;
import dev.backpressure.testing.TestingClock;
import dev.backpressure.testing.TestingFlinkRestServer;
import dev.backpressure.testing.TestingFlinkRestServer.Fixture;
import dev.backpressure.watch.JobWatch;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The classifier on windows recorded from real Flink 1.20.3 jobs (fast, no cluster), and on two
 * situations one machine cannot produce, made from a recording by changing the values that define
 * them (named "adjusted").
 */
class RecordedScenariosTest {

  /** Fixture windows are six snapshots about a second apart. */
  private static final Thresholds FAST =
      Thresholds.DEFAULTS.with(Map.of("sustainSamples", "4", "sustainDuration", "3s"));

  static Diagnosis classify(String fixture, Consumer<TestingFlinkRestServer> adjust)
      throws Exception {
    Fixture f =
        Fixture.load(
            "/fixtures/"
                + (fixture.startsWith("flink-") ? fixture : "flink-1.20.3/" + fixture)
                + ".json");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (TestingFlinkRestServer flink = TestingFlinkRestServer.replaying(f)) {
      adjust.accept(flink);
      // The replayed snapshots get the clock of the replay, 1 s apart, as when they were recorded.
      TestingClock clock = new TestingClock(Instant.parse("2026-01-01T00:00:00Z"));
      SnapshotReader reader =
          new SnapshotReader(new FlinkRestClient(flink.url(), Duration.ofSeconds(5)), pool, clock);
      // As recorded: the watch profiles the vertex it last found to be the bottleneck.
      JobWatch watch = new JobWatch(reader, f.jobId(), FAST, f.snapshots(), Duration.ofMinutes(5));
      Diagnosis d = null;
      for (int i = 0; i < f.snapshots(); i++) {
        d = watch.observe();
        clock.advance(Duration.ofSeconds(1));
      }
      return d;
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest(name = "{0}: {1} at {2}")
  @CsvSource({
    "healthy, HEALTHY, -",
    "compute, COMPUTE_BOTTLENECK, heavy map",
    "skew, DATA_SKEW, keyed work",
    "blocking, BLOCKING_IO, blocking call",
    "kryo, SERIALIZATION, read opaque",
    // Recorded from a real Flink 2.1.0: exceptionHistory only, no root-exception, same metric
    // names.
    "flink-2.1.0/compute, COMPUTE_BOTTLENECK, heavy map",
    "iteration, CYCLIC_DEADLOCK, IterationSource-",
    "network-memory-at-startup, TOO_FEW_NETWORK_BUFFERS, -",
    "buffers-per-channel, BUFFERS_PER_CHANNEL, receive",
    // The playground's jobs, from the same catalog: a paced source before the operator's fix.
    "paced-compute, COMPUTE_BOTTLENECK, enrich",
    "saturated-backend, BLOCKING_IO, lookup",
    "paced-skew, DATA_SKEW, per-key work",
  })
  void recordedJobIsClassifiedAsOnTheLiveCluster(String fixture, Cause cause, String vertex)
      throws Exception {
    Diagnosis d = classify(fixture, s -> {});
    assertThat(d.cause()).as(d.toString()).isEqualTo(cause);
    if (!vertex.equals("-")) {
      assertThat(d.bottleneck().orElseThrow().name()).startsWith(vertex);
    }
  }

  @Test
  void adjustedNoFreeSegmentsIsTooFewNetworkBuffers() throws Exception {
    // Recorded per-channel starvation, adjusted: per-channel keys back to Flink's defaults and the
    // TaskManagers' free segments set to 0 of what they have.
    Diagnosis d =
        classify(
            "buffers-per-channel",
            flink -> {
              flink.rewrite(
                  "/jobmanager/config", body -> withoutKeys(body, "taskmanager.network.memory."));
              flink.rewrite(
                  "/taskmanagers/metrics",
                  body -> {
                    body.forEach(
                        m -> {
                          if (m.path("id")
                              .asText()
                              .equals("Status.Shuffle.Netty.AvailableMemorySegments")) {
                            ((com.fasterxml.jackson.databind.node.ObjectNode) m)
                                .put("min", 0)
                                .put("avg", 0)
                                .put("max", 0)
                                .put("sum", 0);
                          }
                        });
                    return body;
                  });
            });
    assertThat(d.cause()).as(d.toString()).isEqualTo(Cause.TOO_FEW_NETWORK_BUFFERS);
    assertThat(d.bottleneck().orElseThrow().name()).startsWith("receive");
  }

  @Test
  void adjustedStarvedRemoteReceiverIsNetworkLatency() throws Exception {
    // Recorded per-channel starvation, adjusted: per-channel keys back to Flink's defaults (so the
    // only explanation left is the wire), receiver input pools near empty.
    Diagnosis d =
        classify(
            "buffers-per-channel",
            flink -> {
              flink.rewrite(
                  "/jobmanager/config", body -> withoutKeys(body, "taskmanager.network.memory."));
              flink.rewrite(
                  "/jobs/",
                  body -> {
                    if (body.isArray()) {
                      body.forEach(
                          m -> {
                            if (m.path("id")
                                .asText()
                                .equals("Shuffle.Netty.Input.Buffers.inPoolUsage")) {
                              ((com.fasterxml.jackson.databind.node.ObjectNode) m)
                                  .put("min", 0.0)
                                  .put("avg", 0.02)
                                  .put("max", 0.05);
                            }
                          });
                    }
                    return body;
                  });
            });
    assertThat(d.cause()).as(d.toString()).isEqualTo(Cause.NETWORK_LATENCY);
  }

  private static com.fasterxml.jackson.databind.JsonNode withoutKeys(
      com.fasterxml.jackson.databind.JsonNode body, String prefix) {
    com.fasterxml.jackson.databind.node.ArrayNode kept =
        com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
    body.forEach(
        e -> {
          if (!e.path("key").asText().startsWith(prefix)) {
            kept.add(e);
          }
        });
    return kept;
  }
}
