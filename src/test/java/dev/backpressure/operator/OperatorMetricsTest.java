package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.api.DeploymentPhase;
import dev.backpressure.diagnosis.Cause;
import dev.backpressure.remediation.Decision;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Per-deployment series: labelled with their subject, and gone when the deployment leaves. */
class OperatorMetricsTest {

  @Test
  void eachGovernedDeploymentHasItsSeriesUntilItLeavesItsPolicy() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    OperatorMetrics metrics = new OperatorMetrics(registry);
    metrics.deployment(
        "team",
        "orders",
        "fix",
        DeploymentPhase.Backpressured,
        Optional.of(Cause.COMPUTE_BOTTLENECK),
        1000,
        990);
    metrics.deployment(
        "team",
        "clicks",
        "fix",
        DeploymentPhase.Healthy,
        Optional.of(Cause.HEALTHY),
        20,
        Double.NaN);
    metrics.decided(Decision.Kind.APPLY, "team", "orders", "fix");

    assertThat(gauge(registry, "backpressure.deployment.backpressure", "orders")).isEqualTo(1000);
    assertThat(gauge(registry, "backpressure.deployment.bottleneck.busy", "orders")).isEqualTo(990);
    assertThat(
            registry
                .get("backpressure.deployment.phase")
                .tags("deployment", "orders", "phase", "Backpressured")
                .gauge()
                .value())
        .isEqualTo(1);
    assertThat(
            registry
                .get("backpressure.deployment.phase")
                .tags("deployment", "orders", "phase", "Healthy")
                .gauge()
                .value())
        .isZero();
    assertThat(
            registry
                .get("backpressure.changes")
                .tags(
                    "outcome",
                    "APPLY",
                    "namespace",
                    "team",
                    "deployment",
                    "orders",
                    "policy",
                    "fix")
                .counter()
                .count())
        .isEqualTo(1);

    // The next pass finds orders only: clicks' series go, orders' follow its new figures.
    metrics.deployment(
        "team",
        "orders",
        "fix",
        DeploymentPhase.Remediating,
        Optional.of(Cause.COMPUTE_BOTTLENECK),
        400,
        500);
    metrics.governing("team", "fix", Set.of("orders"));
    assertThat(
            registry
                .find("backpressure.deployment.backpressure")
                .tag("deployment", "clicks")
                .gauges())
        .isEmpty();
    assertThat(registry.find("backpressure.deployment.phase").tag("deployment", "clicks").gauges())
        .isEmpty();
    assertThat(gauge(registry, "backpressure.deployment.backpressure", "orders")).isEqualTo(400);

    // Another policy's deployments are not this policy's to drop.
    metrics.deployment(
        "team", "payments", "other", DeploymentPhase.Healthy, Optional.of(Cause.HEALTHY), 0, 0);
    metrics.governing("team", "fix", Set.of());
    assertThat(registry.find("backpressure.deployment.backpressure").gauges())
        .singleElement()
        .satisfies(g -> assertThat(g.getId().getTag("deployment")).isEqualTo("payments"));
    assertThat(registry.find("backpressure.changes").counters()).isEmpty();
  }

  @Test
  void prometheusNamesThemAsTheReadmeAndTheDashboardsDo() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    OperatorMetrics metrics = new OperatorMetrics(registry);
    metrics.deployment(
        "team",
        "orders",
        "fix",
        DeploymentPhase.Planned,
        Optional.of(Cause.COMPUTE_BOTTLENECK),
        1000,
        990);
    metrics.decided(Decision.Kind.PLANNED, "team", "orders", "fix");
    assertThat(registry.scrape())
        .contains(
            "backpressure_deployment_backpressure_milliseconds_per_second{deployment=\"orders\","
                + "namespace=\"team\",policy=\"fix\"} 1000")
        .contains("backpressure_deployment_bottleneck_busy_milliseconds_per_second{")
        .contains(
            "backpressure_deployment_phase{deployment=\"orders\",namespace=\"team\","
                + "phase=\"Planned\",policy=\"fix\"} 1")
        .contains(
            "backpressure_changes_total{deployment=\"orders\",namespace=\"team\","
                + "outcome=\"PLANNED\",policy=\"fix\"} 1");
  }

  private static double gauge(SimpleMeterRegistry registry, String name, String deployment) {
    return registry.get(name).tag("deployment", deployment).gauge().value();
  }
}
