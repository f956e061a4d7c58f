package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.testing.TestingClock;
import dev.backpressure.testing.TestingFlinkDeployments;
import dev.backpressure.testing.TestingFlinkRestServer;
import dev.backpressure.testing.TestingFlinkRestServer.Fixture;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The scraper keeps a window per governed deployment, and only while it is governed. */
class FlinkScraperTest {

  private final ScrapePools pools = ScrapePools.start(2);
  private final TestingFlinkRestServer flink =
      TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"));

  FlinkScraperTest() throws Exception {}

  @AfterEach
  void stop() {
    pools.close();
    flink.close();
  }

  @Test
  void aDeploymentNoLongerSelectedLosesItsWindow() {
    TestingClock clock = new TestingClock(Instant.parse("2026-03-02T10:00:00Z"));
    List<GenericKubernetesResource> governed =
        new ArrayList<>(
            List.of(
                TestingFlinkDeployments.running("orders").buildGeneric(),
                TestingFlinkDeployments.running("payments").buildGeneric()));
    FlinkScraper scraper =
        new FlinkScraper(
            p -> List.copyOf(governed),
            pools,
            clock,
            new OperatorMetrics(new SimpleMeterRegistry()),
            TestingOperator.SCRAPE,
            () -> true,
            Liveness.forRequestTimeout(TestingOperator.SCRAPE.requestTimeout()));
    RemediationPolicy policy = new RemediationPolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName("fix").withNamespace("default").build());
    policy.setSpec(new RemediationPolicySpec());
    policy.getSpec().selector =
        new LabelSelectorBuilder().withMatchLabels(Map.of("backpressure", "watched")).build();
    policy.getSpec().scrapeInterval = "10s";
    policy.getSpec().restUrlTemplate = flink.url().toString();

    assertThat(scraper.fetchResources(policy))
        .hasSize(2)
        .allSatisfy(r -> assertThat(r.failure()).isEmpty());
    assertThat(scraper.watchedDeployments()).isEqualTo(2);

    governed.remove(1);
    clock.advance(Duration.ofSeconds(10));
    scraper.fetchResources(policy);
    assertThat(scraper.watchedDeployments()).as("within three intervals and a minute").isEqualTo(2);

    clock.advance(Duration.ofSeconds(81));
    assertThat(scraper.fetchResources(policy)).hasSize(1);
    assertThat(scraper.watchedDeployments()).isEqualTo(1);
  }

  private FlinkScraper scraper(List<GenericKubernetesResource> governed) {
    return new FlinkScraper(
        p -> governed,
        pools,
        new TestingClock(Instant.parse("2026-03-02T10:00:00Z")),
        new OperatorMetrics(new SimpleMeterRegistry()),
        TestingOperator.SCRAPE,
        () -> true,
        Liveness.forRequestTimeout(TestingOperator.SCRAPE.requestTimeout()));
  }

  private static RemediationPolicy policy(String restUrlTemplate) {
    RemediationPolicy policy = new RemediationPolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName("fix").withNamespace("default").build());
    policy.setSpec(new RemediationPolicySpec());
    policy.getSpec().selector =
        new LabelSelectorBuilder().withMatchLabels(Map.of("backpressure", "watched")).build();
    policy.getSpec().restUrlTemplate = restUrlTemplate;
    return policy;
  }

  @Test
  void aDeploymentWhoseAddressIsNotAllowedIsReportedAndNeverRequested() {
    FlinkScraper scraper =
        scraper(List.of(TestingFlinkDeployments.running("orders").buildGeneric()));
    // Allowed is 127.0.0.1 only: the same server by name is another host.
    String template = "http://localhost:" + flink.url().getPort() + "/{name}";

    assertThat(scraper.fetchResources(policy(template)))
        .singleElement()
        .satisfies(
            r ->
                assertThat(r.failure())
                    .hasValueSatisfying(
                        m -> assertThat(m).contains("names a host the operator may not read")));
    assertThat(flink.requestCount()).isZero();
  }

  @Test
  void whatFlinkAnsweredNeverReachesTheReport() {
    FlinkScraper scraper =
        scraper(List.of(TestingFlinkDeployments.running("orders").buildGeneric()));
    flink.fail(
        "/", new TestingFlinkRestServer.Fault.Status(500, "{\"errors\":[\"token=s3cr3t\"]}"));
    ScrapeResult failed = scraper.fetchResources(policy(flink.url().toString())).iterator().next();
    flink.fail("/", new TestingFlinkRestServer.Fault.Body("<html>token=s3cr3t</html>"));
    ScrapeResult notJson = scraper.fetchResources(policy(flink.url().toString())).iterator().next();

    assertThat(failed.failure()).hasValueSatisfying(m -> assertThat(m).contains("HTTP 500"));
    assertThat(notJson.failure()).hasValueSatisfying(m -> assertThat(m).contains("not JSON"));
    assertThat(List.of(failed, notJson))
        .allSatisfy(r -> assertThat(r.failure().orElseThrow()).doesNotContain("s3cr3t"));
  }

  @Test
  void aRedirectIsNotFollowed() throws Exception {
    FlinkScraper scraper =
        scraper(List.of(TestingFlinkDeployments.running("orders").buildGeneric()));
    try (TestingFlinkRestServer elsewhere =
        TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"))) {
      flink.fail("/", new TestingFlinkRestServer.Fault.Redirect(elsewhere.url()));

      assertThat(scraper.fetchResources(policy(flink.url().toString())))
          .singleElement()
          .satisfies(
              r -> assertThat(r.failure()).hasValueSatisfying(m -> assertThat(m).contains("302")));
      assertThat(elsewhere.requestCount()).isZero();
    }
  }
}
