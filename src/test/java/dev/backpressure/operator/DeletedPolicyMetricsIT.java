package dev.backpressure.operator;

import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.testing.Await;
import dev.backpressure.testing.TestingFlinkDeployments;
import dev.backpressure.testing.TestingPolicies;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * A deleted policy gets no further pass, so its deployments' series would stay until the operator
 * restarts, telling a dashboard of a job nobody governs: they go when the policy does.
 */
class DeletedPolicyMetricsIT extends MockApiTest {

  @Test
  void theSeriesOfADeletedPolicysDeploymentsGoWithIt() throws Exception {
    TestingFlinkDeployments.running("orders").createIn(client);
    RemediationPolicy policy =
        TestingPolicies.quick("watch", RemediationPolicySpec.Mode.DryRun, flink.url().toString());
    client.resource(policy).create();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    operator = TestingOperator.start(client, clock, registry);
    Await.until(
        "the deployment's series",
        () -> registry.find("backpressure.deployment.phase").tag("deployment", "orders").gauges(),
        g -> !g.isEmpty(),
        WAIT);

    client.resources(RemediationPolicy.class).inNamespace("default").withName("watch").delete();
    Await.until(
        "no series of the deleted policy's deployment",
        () -> registry.find("backpressure.deployment.phase").tag("policy", "watch").gauges(),
        g -> g.isEmpty(),
        WAIT);
  }
}
