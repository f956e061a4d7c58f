package dev.backpressure.playground;

import dev.backpressure.cli.Main;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.JobState;
import dev.backpressure.flink.VertexMetric;
import dev.backpressure.flink.rest.FlinkRestClient;
import dev.backpressure.flink.rest.ScrapeException;
import dev.backpressure.flink.rest.SnapshotReader;
import dev.backpressure.testing.Scenario;
import dev.backpressure.testing.TestingFlinkCluster;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;

/**
 * The README's first command: a real Flink running a job with real backpressure, diagnosed by the
 * command line exactly as a user would run it. {@code --scenario NAME} picks the job, {@code
 * --keep=true} leaves Flink running for your own {@code diagnose} runs.
 */
public final class Playground {

  private Playground() {}

  public static void main(String[] args) throws Exception {
    String name = option(args, "--scenario", "compute");
    boolean keep = Boolean.parseBoolean(option(args, "--keep", "false"));
    Scenario scenario;
    try {
      scenario = Scenario.valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      System.err.println(
          "unknown scenario '"
              + name
              + "'; pick one of "
              + Arrays.stream(Scenario.values()).map(Scenario::fixtureName).toList());
      System.exit(2);
      return;
    }
    System.out.println(
        "Starting Flink (MiniCluster) for scenario '" + scenario.fixtureName() + "'…");
    int exit;
    try (TestingFlinkCluster flink = scenario.cluster().start()) {
      JobID id = flink.submit(scenario.job(), scenario.fixtureName());
      System.out.println("Flink REST: " + flink.restUrl() + "   job: " + id);
      warmUp(flink, id.toString(), scenario);
      String[] diagnose = {
        "diagnose", "--rest-url", flink.restUrl().toString(), "--job", id.toString()
      };
      System.out.println(
          "\n$ java -jar target/backpressure-operator.jar " + String.join(" ", diagnose) + "\n");
      exit =
          Main.run(
              new PrintWriter(System.out, true, StandardCharsets.UTF_8),
              new PrintWriter(System.err, true, StandardCharsets.UTF_8),
              diagnose);
      System.out.println("\n(diagnose exited " + exit + ")");
      if (keep) {
        System.out.println("Flink keeps running at " + flink.restUrl() + "; press Ctrl-C to stop.");
        new CountDownLatch(1).await();
      }
    }
    System.exit(exit == 2 ? 2 : 0);
  }

  /**
   * Flink reports rates over a sliding minute and backpressure only once buffers fill: wait until
   * the job shows what the scenario is about (or, for a healthy job, has run for ten seconds).
   */
  private static void warmUp(TestingFlinkCluster flink, String jobId, Scenario scenario)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      SnapshotReader reader =
          new SnapshotReader(
              new FlinkRestClient(flink.restUrl(), Duration.ofSeconds(5)), pool, Clock.systemUTC());
      long deadline =
          System.nanoTime() + TimeUnit.SECONDS.toNanos(scenario == Scenario.HEALTHY ? 10 : 60);
      System.out.print("Waiting for the job to warm up");
      while (System.nanoTime() < deadline) {
        try {
          JobSnapshot s = reader.read(jobId, Set.of());
          if (s.state() != JobState.RUNNING && !s.exceptions().isEmpty()) {
            break;
          }
          boolean pressured =
              s.graph().vertices().stream()
                  .anyMatch(
                      v ->
                          s.metric(v.id(), VertexMetric.BACK_PRESSURED)
                              .map(a -> a.max() >= 500)
                              .orElse(false));
          if (pressured && scenario != Scenario.HEALTHY) {
            break;
          }
        } catch (ScrapeException e) {
          // metrics not there yet: keep waiting
        }
        System.out.print(".");
        TimeUnit.SECONDS.sleep(1);
      }
      System.out.println();
    } finally {
      pool.shutdownNow();
    }
  }

  private static String option(String[] args, String name, String fallback) {
    for (String a : args) {
      if (a.startsWith(name + "=")) {
        String v = a.substring(name.length() + 1);
        return v.isBlank() ? fallback : v;
      }
    }
    return fallback;
  }
}
