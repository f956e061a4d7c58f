package dev.backpressure.remediation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.backpressure.testing.Await;
import dev.backpressure.testing.FlinkRuntime;
import dev.backpressure.testing.ScenarioJob;
import dev.backpressure.testing.TestingFlinkCluster;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.StreamSupport;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fact behind {@link Planner#overridesIgnoredAtSubmission}, on real Flinks: the same job,
 * submitted the same way (a cluster in a JVM of its own, the job sent over REST by Flink's own
 * client) with {@code pipeline.jobvertex-parallelism-overrides} in its configuration, runs with it
 * on Flink 1.20 and without it on Flink 2.x (FLINK-38770: the Dispatcher applies overrides to a
 * JobGraph only, and the 2.x client submits a StreamGraph). When {@code src/test/flink2/pom.xml}
 * moves to a release that applies them, this fails, and the planner can go back to overrides there.
 */
class ParallelismOverridesAtSubmissionIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @ParameterizedTest(name = "Flink {0}: the vertex runs at {1}")
  @CsvSource({"1, 2", "2, 1"})
  void anOverrideGivenAtSubmission(String flink, int runsAt) throws Exception {
    String enrich = vertexId("enrich");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    FlinkRuntime runtime = FlinkRuntime.inChildProcess(flink);
    TestingFlinkCluster.Builder shape =
        TestingFlinkCluster.builder().restPort(port).set(ParallelismOverrides.KEY, enrich + ":2");
    try (FlinkRuntime.Cluster cluster =
        runtime.start(shape, ScenarioJob.COMPUTE_BOTTLENECK, 1, "overrides", Optional.empty())) {
      URI job = URI.create("http://127.0.0.1:" + port + "/jobs/" + cluster.jobId());
      JsonNode vertex =
          Await.until(
              "the job's vertices",
              () -> vertex(job, enrich),
              v -> !v.isMissingNode(),
              Duration.ofMinutes(1));
      // Flink has the override: it is in the configuration its JobManager runs with.
      assertThat(get(URI.create("http://127.0.0.1:" + port + "/jobmanager/config")).toString())
          .contains("\"" + ParallelismOverrides.KEY + "\"")
          .contains(enrich + ":2");
      assertThat(vertex.path("parallelism").asInt())
          .as("parallelism of %s on Flink %s", vertex.path("name").asText(), runtime.version())
          .isEqualTo(runsAt);
    }
  }

  /** The id Flink gives the vertex; it is the same on 1.20 and 2.x (the job sets its uids). */
  private static String vertexId(String name) {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    Iterable<JobVertex> vertices =
        ScenarioJob.COMPUTE_BOTTLENECK.build(env, 1).getStreamGraph().getJobGraph().getVertices();
    return StreamSupport.stream(vertices.spliterator(), false)
        .filter(v -> v.getName().startsWith(name))
        .findFirst()
        .orElseThrow()
        .getID()
        .toHexString();
  }

  private static JsonNode vertex(URI job, String id) {
    for (JsonNode v : get(job).path("vertices")) {
      if (id.equals(v.path("id").asText())) {
        return v;
      }
    }
    return JSON.missingNode();
  }

  private static JsonNode get(URI uri) {
    try {
      return JSON.readTree(
          HttpClient.newHttpClient()
              .send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString())
              .body());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
