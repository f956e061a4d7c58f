package dev.backpressure.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.backpressure.testing.TestingFlinkRestServer;
import dev.backpressure.testing.TestingFlinkRestServer.Fault;
import dev.backpressure.testing.TestingFlinkRestServer.Fixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/**
 * The command line against Flink REST answers recorded from a real Flink 1.20.3 (see
 * src/test/resources/fixtures/README.md), and against endpoints that misbehave.
 */
class DiagnoseCommandTest {

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(exit, out.toString(), err.toString());
  }

  static Run diagnose(TestingFlinkRestServer flink, String... more) {
    String[] base = {
      "diagnose",
      "--rest-url",
      flink.url().toString(),
      "--samples",
      "6",
      "--interval",
      "0s",
      "--threshold",
      "sustainDuration=0s",
      "--timeout",
      "2s"
    };
    String[] args = new String[base.length + more.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(more, 0, args, base.length, more.length);
    return run(args);
  }

  @Test
  void computeBottleneckPrintsVerdictChangeAndExitsOne() throws Exception {
    try (TestingFlinkRestServer flink =
        TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"))) {
      Run r = diagnose(flink);
      assertThat(r.exit()).as(r.err()).isEqualTo(ExitCodes.BACKPRESSURE);
      assertThat(r.out())
          .contains("COMPUTE BOTTLENECK at 'heavy map")
          .contains("<- bottleneck")
          .contains("pipeline.jobvertex-parallelism-overrides: (unset) → ")
          .contains("sustained");
    }
  }

  @Test
  void jsonOutputCarriesTheSameVerdictAndChange() throws Exception {
    try (TestingFlinkRestServer flink =
        TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"))) {
      Run r = diagnose(flink, "--output", "json");
      assertThat(r.exit()).as(r.err()).isEqualTo(ExitCodes.BACKPRESSURE);
      JsonNode json = new ObjectMapper().readTree(r.out());
      assertThat(json.at("/diagnosis/cause").asText()).isEqualTo("COMPUTE_BOTTLENECK");
      assertThat(json.at("/diagnosis/bottleneck/name").asText()).startsWith("heavy map");
      assertThat(json.at("/plan/type").asText()).isEqualTo("change");
      assertThat(json.at("/plan/changes/0/key").asText())
          .isEqualTo("pipeline.jobvertex-parallelism-overrides");
      assertThat(json.at("/vertices").size()).isEqualTo(2);
    }
  }

  @Test
  void healthyJobExitsZero() throws Exception {
    try (TestingFlinkRestServer flink =
        TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/healthy.json"))) {
      Run r = diagnose(flink);
      assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(ExitCodes.HEALTHY);
      assertThat(r.out()).contains("HEALTHY").contains("Change   none");
    }
  }

  @Test
  void skewGetsAdviceAndNoChange() throws Exception {
    try (TestingFlinkRestServer flink =
        TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/skew.json"))) {
      Run r = diagnose(flink);
      assertThat(r.exit()).isEqualTo(ExitCodes.BACKPRESSURE);
      assertThat(r.out())
          .contains("DATA SKEW at 'keyed work")
          .contains("Advice")
          .doesNotContain("Change   ");
    }
  }

  @Test
  void nothingListeningIsOneClearLine() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Run r = run("diagnose", "--rest-url", "http://127.0.0.1:" + port, "--timeout", "2s");
    assertThat(r.exit()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err().strip())
        .startsWith("error: cannot connect to http://127.0.0.1:" + port)
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
    assertThat(r.err().strip().lines()).hasSize(1);
  }

  @Test
  void serverThatIsNotFlinkIsOneClearLine() throws Exception {
    try (TestingFlinkRestServer other =
        TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"))) {
      other.fail("/config", new Fault.Body("<html><body>Welcome to nginx</body></html>"));
      Run r = diagnose(other);
      assertThat(r.exit()).isEqualTo(ExitCodes.ERROR);
      assertThat(r.err().strip()).contains("does not look like a Flink REST endpoint");
      assertThat(r.err().strip().lines()).hasSize(1);
    }
  }

  @Test
  void unknownJobIsOneClearLine() throws Exception {
    try (TestingFlinkRestServer flink =
        TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"))) {
      Run r = diagnose(flink, "--job", "00000000000000000000000000000000");
      assertThat(r.exit()).isEqualTo(ExitCodes.ERROR);
      assertThat(r.err().strip())
          .startsWith("error: job 00000000000000000000000000000000 does not exist");
      assertThat(r.err().strip().lines()).hasSize(1);
    }
  }

  @Test
  void flinkAnswering500IsOneClearLine() throws Exception {
    try (TestingFlinkRestServer flink =
        TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"))) {
      flink.fail(
          "/jobs/" + Fixture.load("/fixtures/flink-1.20.3/compute.json").jobId() + "/exceptions",
          new Fault.Status(500, "{\"errors\":[\"Internal server error.\"]}"));
      Run r = diagnose(flink);
      assertThat(r.exit()).isEqualTo(ExitCodes.ERROR);
      assertThat(r.err().strip()).contains("answered HTTP 500").contains("Internal server error.");
      assertThat(r.err().strip().lines()).hasSize(1);
      assertThat(r.out()).isEmpty();
    }
  }

  @Test
  void malformedJsonIsOneClearLine() throws Exception {
    try (TestingFlinkRestServer flink =
        TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"))) {
      flink.fail("/taskmanagers/metrics", new Fault.Body("{\"truncated\": [1, 2"));
      Run r = diagnose(flink);
      assertThat(r.exit()).isEqualTo(ExitCodes.ERROR);
      assertThat(r.err().strip()).contains("not JSON");
      assertThat(r.err().strip().lines()).hasSize(1);
    }
  }

  @Test
  void anEndlessOrHugeAnswerIsRefusedAtTheLimitInOneClearLine() throws Exception {
    try (TestingFlinkRestServer flink =
        TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"))) {
      flink.fail("/config", new Fault.Endless());
      Run endless = diagnose(flink, "--max-answer", "1m");
      assertThat(endless.exit()).isEqualTo(ExitCodes.ERROR);
      assertThat(endless.err().strip())
          .contains("answered /config with more than 1048576 bytes")
          .contains("raise the answer size limit");
      assertThat(endless.err().strip().lines()).hasSize(1);
      // Refused as it streamed in: what was sent is the limit plus what the sockets buffer.
      assertThat(flink.faultBytesSent()).isLessThan(32L << 20);

      // 2 GiB announced: refused before it is read, at the default limit.
      flink.fail("/config", new Fault.Huge(2L << 30));
      Run huge = diagnose(flink);
      assertThat(huge.exit()).isEqualTo(ExitCodes.ERROR);
      assertThat(huge.err().strip()).contains("with more than 8388608 bytes");
      assertThat(huge.err().strip().lines()).hasSize(1);
    }
  }

  @Test
  void aValueFlinkCannotProduceIsOneClearLineAndNoVerdict() throws Exception {
    Fixture compute = Fixture.load("/fixtures/flink-1.20.3/compute.json");
    try (TestingFlinkRestServer flink = TestingFlinkRestServer.replaying(compute)) {
      everyVertex(flink, compute, "busyTimeMsPerSecond", m -> m.put("max", 99999));
      Run r = diagnose(flink);
      assertThat(r.exit()).isEqualTo(ExitCodes.ERROR);
      assertThat(r.err().strip())
          .contains("answered what Flink cannot produce")
          .contains("busyTimeMsPerSecond = 99999, above 1050");
      assertThat(r.err().strip().lines()).hasSize(1);
      assertThat(r.out()).doesNotContain("Verdict");
    }
  }

  @Test
  void backpressureThatCannotBeReadIsNotHealth() throws Exception {
    Fixture compute = Fixture.load("/fixtures/flink-1.20.3/compute.json");
    try (TestingFlinkRestServer flink = TestingFlinkRestServer.replaying(compute)) {
      everyVertex(
          flink,
          compute,
          "backPressuredTimeMsPerSecond",
          m -> m.put("min", "NaN").put("avg", "NaN").put("max", "NaN"));
      Run r = diagnose(flink);
      assertThat(r.exit()).isEqualTo(ExitCodes.ERROR);
      assertThat(r.err().strip().lines().reduce((a, b) -> b).orElseThrow())
          .contains("backPressuredTimeMsPerSecond of 'Source: Sequence Source'")
          .contains("cannot be called healthy");
      assertThat(r.out()).doesNotContain("HEALTHY");
    }
  }

  /** Alters one metric in every vertex's recorded answer. */
  private static void everyVertex(
      TestingFlinkRestServer flink,
      Fixture fixture,
      String metric,
      java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> change) {
    flink.rewrite(
        "/jobs/" + fixture.jobId() + "/vertices/",
        body -> {
          body.forEach(
              m -> {
                if (m.path("id").asText().equals(metric)) {
                  change.accept((com.fasterxml.jackson.databind.node.ObjectNode) m);
                }
              });
          return body;
        });
  }

  @Test
  void badUsageIsExitTwoWithWhatToChange() {
    Run noScheme = run("diagnose", "--rest-url", "localhost:8081");
    assertThat(noScheme.exit()).isEqualTo(ExitCodes.ERROR);
    assertThat(noScheme.err())
        .contains("--rest-url must be an http(s) URL such as http://localhost:8081");

    Run badThreshold =
        run(
            "diagnose",
            "--rest-url",
            "http://localhost:8081",
            "--threshold",
            "busyMsPerSecond=2000");
    assertThat(badThreshold.exit()).isEqualTo(ExitCodes.ERROR);
    assertThat(badThreshold.err()).contains("busyMsPerSecond must be in [1, 1000]");

    Run missing = run("diagnose");
    assertThat(missing.exit()).isEqualTo(ExitCodes.ERROR);
    assertThat(missing.err()).contains("--rest-url");

    Run badLimit = run("diagnose", "--rest-url", "http://localhost:8081", "--max-answer", "lots");
    assertThat(badLimit.exit()).isEqualTo(ExitCodes.ERROR);
    assertThat(badLimit.err()).contains("--max-answer: 'lots' is not a memory size");

    Run tooFew = run("diagnose", "--rest-url", "http://localhost:8081", "--samples", "2");
    assertThat(tooFew.exit()).isEqualTo(ExitCodes.ERROR);
    assertThat(tooFew.err()).contains("fewer than sustainSamples");
  }
}
