package dev.backpressure.testing;

import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.flink.rest.FlinkRestClient;
import dev.backpressure.flink.rest.ScrapeException;
import dev.backpressure.flink.rest.SnapshotReader;
import dev.backpressure.watch.JobSampler;
import dev.backpressure.watch.JobWatch;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.runtime.util.EnvironmentInformation;

/**
 * Records the Flink REST answers of scenarios into {@code src/test/resources/fixtures/}: runs each
 * on a real Flink until it shows its signal, then reads six snapshots through a recording proxy.
 * Run it with the test classpath (see src/test/resources/fixtures/README.md); the unit tests only
 * replay what it wrote.
 */
public final class RecordFixtures {

  private static final int SNAPSHOTS = 6;

  private RecordFixtures() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "src/test/resources/fixtures");
    List<Scenario> scenarios = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      scenarios.add(Scenario.valueOf(args[i]));
    }
    if (scenarios.isEmpty()) {
      scenarios.addAll(List.of(Scenario.values()));
    }
    String version = EnvironmentInformation.getVersion();
    for (Scenario scenario : scenarios) {
      Path file = dir.resolve("flink-" + version).resolve(scenario.fixtureName() + ".json");
      record(scenario, version).write(file);
      System.out.println("recorded " + file);
    }
  }

  static TestingFlinkRestServer.Fixture record(Scenario scenario, String version) throws Exception {
    try (TestingFlinkCluster flink = scenario.cluster().start()) {
      JobID id = flink.submit(scenario.job(), scenario.name().toLowerCase());
      Observation.Result settled =
          Observation.untilSignal(
              flink.restUrl(), id.toString(), scenario.signal(), Duration.ofSeconds(90));
      System.out.println(scenario + " settled:\n" + settled);
      if (!settled.signalShown()) {
        throw new IllegalStateException(scenario + " never showed its signal; nothing recorded");
      }
      try (TestingFlinkRestServer proxy = TestingFlinkRestServer.recording(flink.restUrl())) {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
          SnapshotReader reader =
              new SnapshotReader(
                  new FlinkRestClient(proxy.url(), Duration.ofSeconds(5)), pool, Clock.systemUTC());
          // As the command line does: find the job (the only active one), then sample it.
          String jobId = reader.resolveJob(null);
          JobWatch watch =
              new JobWatch(
                  reader, jobId, Observation.TEST_THRESHOLDS, SNAPSHOTS, Duration.ofMinutes(5));
          new JobSampler(watch, Duration.ofSeconds(1))
              .run(
                  SNAPSHOTS,
                  SNAPSHOTS,
                  Duration.ofMinutes(5),
                  new JobSampler.Looker() {
                    @Override
                    public boolean looked(Diagnosis d) {
                      System.out.println(
                          "  " + d.cause() + " " + d.bottleneck().map(v -> v.name()).orElse("-"));
                      return false;
                    }

                    @Override
                    public void waiting(ScrapeException e) {
                      System.out.println("  " + e.getMessage());
                    }
                  });
        } finally {
          pool.shutdownNow();
        }
        return new TestingFlinkRestServer.Fixture(
            version, scenario.name(), id.toString(), proxy.recorded());
      } finally {
        flink.cancel(id);
      }
    }
  }
}
