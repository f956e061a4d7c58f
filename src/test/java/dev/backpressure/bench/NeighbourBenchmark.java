package dev.backpressure.bench;

import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.operator.OperatorRuntime;
import dev.backpressure.operator.RestAddresses;
import dev.backpressure.operator.ScrapeSettings;
import dev.backpressure.testing.TestingFlinkDeployments;
import dev.backpressure.testing.TestingFlinkRestServer;
import dev.backpressure.testing.TestingFlinkRestServer.Fault;
import dev.backpressure.testing.TestingFlinkRestServer.Fixture;
import dev.backpressure.testing.TestingKubernetes;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One tenant's broken JobManagers against everyone else's scrapes: 50 healthy deployments under one
 * policy, alone and then beside a policy whose JobManager never answers and one whose answer never
 * ends (each read up to the 10 s request timeout and the 8 MiB limit). Prints the healthy
 * deployments' scrape latency, p50 and p99, for both runs (after a warm-up run). Run with {@code
 * ./mvnw -q test-compile exec:exec@neighbour-benchmark}.
 */
public final class NeighbourBenchmark {

  private static final int HEALTHY = 50;
  private static final Duration RUN = Duration.ofSeconds(60);
  private static final String SCRAPE_TIMER = "backpressure.scrape.duration";

  /** Held so that its level sticks. */
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  private NeighbourBenchmark() {}

  public static void main(String[] args) throws Exception {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    System.out.printf(
        Locale.ROOT,
        "cores visible: %d; %d healthy deployments, scrape every 5 s, %d s per run%n",
        Runtime.getRuntime().availableProcessors(),
        HEALTHY,
        RUN.toSeconds());
    run(false, Duration.ofSeconds(30)); // warm-up: JIT, connection pools
    double[] alone = run(false, RUN);
    double[] beside = run(true, RUN);
    System.out.printf(
        Locale.ROOT,
        "healthy scrapes alone:                     p50 %6.1f ms, p99 %6.1f ms (%d scrapes)%n"
            + "beside a black hole and an endless answer: p50 %6.1f ms, p99 %6.1f ms (%d scrapes)%n"
            + "p99 beside / alone: %.2f%n",
        alone[0],
        alone[1],
        (long) alone[2],
        beside[0],
        beside[1],
        (long) beside[2],
        beside[1] / alone[1]);
    System.exit(0);
  }

  /** p50 and p99 in ms of the healthy scrapes, and their count. */
  private static double[] run(boolean badNeighbours, Duration length) throws Exception {
    try (TestingKubernetes k8s = TestingKubernetes.start();
        TestingFlinkRestServer healthy =
            TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"));
        TestingFlinkRestServer hole =
            TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"));
        TestingFlinkRestServer endless =
            TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"))) {
      hole.fail("/", new Fault.Hang());
      endless.fail("/", new Fault.Endless());
      KubernetesClient client = k8s.client();
      for (int i = 0; i < HEALTHY; i++) {
        TestingFlinkDeployments.running("job-" + i).label("tenant", "good").createIn(client);
      }
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      registry
          .config()
          .meterFilter(
              new MeterFilter() {
                @Override
                public DistributionStatisticConfig configure(
                    Meter.Id id, DistributionStatisticConfig config) {
                  return id.getName().equals(SCRAPE_TIMER)
                      ? DistributionStatisticConfig.builder()
                          .percentiles(0.5, 0.99)
                          .expiry(Duration.ofMinutes(5))
                          .bufferLength(1)
                          .build()
                          .merge(config)
                      : config;
                }
              });
      try (OperatorRuntime.Running operator =
          new OperatorRuntime(
                  client,
                  Set.of(),
                  Optional.empty(),
                  registry,
                  Clock.systemUTC(),
                  ScrapeSettings.DEFAULTS.withAddresses(RestAddresses.parse("127.0.0.1")))
              .start()) {
        client.resource(policy("good", healthy)).create();
        if (badNeighbours) {
          TestingFlinkDeployments.running("hole").label("tenant", "hole").createIn(client);
          TestingFlinkDeployments.running("endless").label("tenant", "endless").createIn(client);
          client.resource(policy("hole", hole)).create();
          client.resource(policy("endless", endless)).create();
        }
        TimeUnit.MILLISECONDS.sleep(length.toMillis());
        Timer scrapes = registry.find(SCRAPE_TIMER).timer();
        double p50 = 0;
        double p99 = 0;
        for (ValueAtPercentile v : scrapes.takeSnapshot().percentileValues()) {
          if (v.percentile() == 0.5) {
            p50 = v.value(TimeUnit.MILLISECONDS);
          } else {
            p99 = v.value(TimeUnit.MILLISECONDS);
          }
        }
        if (badNeighbours) {
          System.out.printf(
              Locale.ROOT,
              "the bad neighbours sent %d requests (black hole) and %d (endless), %d MiB of"
                  + " answer read%n",
              hole.requestCount(),
              endless.requestCount(),
              endless.faultBytesSent() >> 20);
        }
        return new double[] {p50, p99, scrapes.count()};
      }
    }
  }

  private static RemediationPolicy policy(String tenant, TestingFlinkRestServer flink) {
    RemediationPolicy p = new RemediationPolicy();
    p.setMetadata(new ObjectMetaBuilder().withName(tenant).withNamespace("default").build());
    p.setSpec(new RemediationPolicySpec());
    p.getSpec().selector =
        new LabelSelectorBuilder().withMatchLabels(Map.of("tenant", tenant)).build();
    p.getSpec().scrapeInterval = "5s";
    p.getSpec().restUrlTemplate = flink.url().toString();
    return p;
  }
}
