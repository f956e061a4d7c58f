package dev.backpressure.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.flink.rest.ImpossibleAnswersTest;
import dev.backpressure.testing.TestingFlinkRestServer;
import dev.backpressure.testing.TestingFlinkRestServer.Fault;
import dev.backpressure.testing.TestingFlinkRestServer.Fixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code diagnose} as a user runs it, in a JVM of its own with a 256 MiB heap that exits on its
 * first OutOfMemoryError, against a Flink stand-in answering what no Flink should: endless, 2 GiB,
 * huge, impossible. Each ends the process with exit 2 and one line saying what was wrong, and no
 * stack trace; answers recorded from a real Flink 1.20.3 ({@code compute.json}), altered.
 */
class HostileDiagnoseIT {

  private static final Fixture COMPUTE = Fixture.load("/fixtures/flink-1.20.3/compute.json");

  /** A valid JSON answer of about {@code mebibytes}: a configuration of that many entries' size. */
  private static String bigConfiguration(int mebibytes) {
    StringBuilder b = new StringBuilder("[");
    String value = "x".repeat(1000);
    for (int i = 0; b.length() < mebibytes << 20; i++) {
      b.append(i == 0 ? "" : ",")
          .append("{\"key\":\"k")
          .append(i)
          .append("\",\"value\":\"")
          .append(value)
          .append("\"}");
    }
    return b.append("]").toString();
  }

  static Stream<Arguments> answers() {
    Stream<Arguments> transport =
        Stream.of(
            Arguments.of(
                "an endless /config",
                (Consumer<TestingFlinkRestServer>) f -> f.fail("/config", new Fault.Endless()),
                "with more than 8388608 bytes"),
            Arguments.of(
                "a 2 GiB /config",
                (Consumer<TestingFlinkRestServer>) f -> f.fail("/config", new Fault.Huge(2L << 30)),
                "with more than 8388608 bytes"),
            Arguments.of(
                "a 22 MiB /jobmanager/config",
                (Consumer<TestingFlinkRestServer>)
                    f -> f.fail("/jobmanager/config", new Fault.Body(bigConfiguration(22))),
                "with more than 8388608 bytes"),
            Arguments.of(
                "backpressure NaN in every vertex",
                (Consumer<TestingFlinkRestServer>)
                    f ->
                        f.rewrite(
                            "/jobs/" + COMPUTE.jobId() + "/vertices/",
                            body -> {
                              body.forEach(
                                  m -> {
                                    if (m.path("id")
                                        .asText()
                                        .equals("backPressuredTimeMsPerSecond")) {
                                      ((com.fasterxml.jackson.databind.node.ObjectNode) m)
                                          .put("max", Double.NaN)
                                          .put("min", Double.NaN)
                                          .put("avg", Double.NaN);
                                    }
                                  });
                              return body;
                            }),
                "is unknown (missing or NaN)"));
    Stream<Arguments> impossible =
        ImpossibleAnswersTest.alterations()
            .map(a -> Arguments.of(a.get()[0], a.get()[1], a.get()[3]));
    return Stream.concat(transport, impossible);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("answers")
  void endsWithOneLineAndExitTwo(String name, Consumer<TestingFlinkRestServer> alter, String says)
      throws Exception {
    try (TestingFlinkRestServer flink = TestingFlinkRestServer.replaying(COMPUTE)) {
      alter.accept(flink);
      Ended r = diagnose(flink, name);
      String err = r.err();
      assertThat(r.exit()).as("%s: exit; said %s", name, err).isEqualTo(2);
      List<String> errors = err.lines().filter(l -> l.startsWith("error:")).toList();
      assertThat(errors).as(err).singleElement().satisfies(l -> assertThat(l).contains(says));
      assertThat(err)
          .as("no sample of unreadable metrics passes for health")
          .doesNotContain("not backpressured");
      assertThat(err).doesNotContain("\tat ").doesNotContain("Exception in thread");
    }
  }

  @org.junit.jupiter.api.Test
  void tracesOverTheLimitAreLeftOutAndTheMetricsStillJudged() throws Exception {
    // Flink bounds the entries, not the subtasks failing with each: 12 MiB of them here.
    String trace =
        "java.lang.IllegalStateException: boom\\n" + "\\tat a.B.c(B.java:1)\\n".repeat(2000);
    StringBuilder entries = new StringBuilder();
    for (int i = 0; entries.length() < 12 << 20; i++) {
      entries
          .append(i == 0 ? "" : ",")
          .append("{\"exceptionName\":\"java.lang.IllegalStateException\",\"stacktrace\":\"")
          .append(trace)
          .append("\",\"timestamp\":1,\"taskName\":\"map\"}");
    }
    String body = "{\"exceptionHistory\":{\"entries\":[" + entries + "],\"truncated\":false}}";
    try (TestingFlinkRestServer flink = TestingFlinkRestServer.replaying(COMPUTE)) {
      flink.fail("/jobs/" + COMPUTE.jobId() + "/exceptions", new Fault.Body(body));
      Ended r = diagnose(flink, "huge traces");
      // The failures are not needed to see the compute bottleneck: it is diagnosed (exit 1).
      assertThat(r.exit()).as(r.err()).isEqualTo(1);
      assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception in thread");
    }
  }

  private record Ended(int exit, String err) {}

  /** Runs {@code diagnose} in a JVM of 256 MiB of heap that exits on its first OutOfMemoryError. */
  private static Ended diagnose(TestingFlinkRestServer flink, String name) throws Exception {
    // To a file: a child writing more than a pipe holds would wait for a reader that waits for it.
    Path errors = Files.createTempFile("diagnose", ".err");
    Process diagnose =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:+ExitOnOutOfMemoryError",
                "-cp",
                System.getProperty("java.class.path"),
                "-Dlog4j2.configurationFile=classpath:backpressure-log4j2.properties",
                Main.class.getName(),
                "diagnose",
                "--rest-url",
                flink.url().toString(),
                "--samples",
                "3",
                "--interval",
                "0s",
                "--threshold",
                "sustainDuration=0s")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(errors.toFile())
            .start();
    // Bounded well past the 30 s a user would wait: a process that hangs fails here.
    boolean ended = diagnose.waitFor(90, TimeUnit.SECONDS);
    if (!ended) {
      diagnose.destroyForcibly();
    }
    String err = Files.readString(errors);
    Files.delete(errors);
    assertThat(ended).as("%s: ended; said %s", name, err).isTrue();
    return new Ended(diagnose.exitValue(), err);
  }
}
