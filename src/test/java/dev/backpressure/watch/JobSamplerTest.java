package dev.backpressure.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.backpressure.diagnosis.Cause;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Thresholds;
import dev.backpressure.flink.rest.FlinkRestClient;
import dev.backpressure.flink.rest.ScrapeException;
import dev.backpressure.flink.rest.ScrapeFailure;
import dev.backpressure.flink.rest.SnapshotReader;
import dev.backpressure.testing.TestingFlinkRestServer;
import dev.backpressure.testing.TestingFlinkRestServer.Fault;
import dev.backpressure.testing.TestingFlinkRestServer.Fixture;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The sampling loop the command line and the tests share, against a replayed Flink 1.20.3. */
class JobSamplerTest {

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
    pool.shutdownNow();
    flink.close();
  }

  private JobSampler sampler() {
    SnapshotReader reader =
        new SnapshotReader(
            new FlinkRestClient(flink.url(), Duration.ofSeconds(5)), pool, Clock.systemUTC());
    return new JobSampler(
        new JobWatch(reader, COMPUTE.jobId(), Thresholds.DEFAULTS, 5, Duration.ofMinutes(5)),
        Duration.ZERO);
  }

  @Test
  void looksAsOftenAsAskedOrUntilTheLookerHasSeenEnough() throws Exception {
    List<Cause> seen = new ArrayList<>();
    JobSampler.Sampled all = sampler().run(3, 0, Duration.ofMinutes(1), d -> !seen.add(d.cause()));
    assertThat(seen).hasSize(3);
    assertThat(all.enough()).isFalse();
    assertThat(all.last()).isPresent();

    JobSampler.Sampled first =
        sampler().run(10, 0, Duration.ofMinutes(1), d -> d.cause() == Cause.COMPUTE_BOTTLENECK);
    assertThat(first.enough()).isTrue();
    assertThat(first.last().map(Diagnosis::cause)).contains(Cause.COMPUTE_BOTTLENECK);
  }

  @Test
  void aJobWithoutMetricsYetIsWaitedOutUpToItsBound() throws Exception {
    // Flink lists no task metrics in the first seconds of a job.
    flink.fail("/jobs/" + COMPUTE.jobId() + "/vertices/", new Fault.Body("[]"));
    List<String> waits = new ArrayList<>();
    JobSampler.Sampled sampled =
        sampler()
            .run(
                2,
                5,
                Duration.ofMinutes(1),
                new JobSampler.Looker() {
                  @Override
                  public boolean looked(Diagnosis d) {
                    return false;
                  }

                  @Override
                  public void waiting(ScrapeException e) {
                    waits.add(e.getMessage());
                    if (waits.size() == 2) {
                      flink.clearFaults();
                    }
                  }
                });
    assertThat(waits).hasSize(2);
    assertThat(sampled.last()).isPresent();

    flink.fail("/jobs/" + COMPUTE.jobId() + "/vertices/", new Fault.Body("[]"));
    assertThatThrownBy(() -> sampler().run(2, 3, Duration.ofMinutes(1), d -> false))
        .isInstanceOfSatisfying(
            ScrapeException.class,
            e -> assertThat(e.failure()).isEqualTo(ScrapeFailure.METRICS_UNAVAILABLE));
  }

  @Test
  void anyOtherFailureToReadEndsTheSampling() {
    flink.fail("/jobs/" + COMPUTE.jobId() + "/vertices/", new Fault.Status(500, "{}"));
    assertThatThrownBy(() -> sampler().run(5, 5, Duration.ofMinutes(1), d -> false))
        .isInstanceOfSatisfying(
            ScrapeException.class,
            e -> assertThat(e.failure()).isNotEqualTo(ScrapeFailure.METRICS_UNAVAILABLE));
  }
}
