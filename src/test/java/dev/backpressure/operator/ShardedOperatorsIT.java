package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.api.DeploymentPhase;
import dev.backpressure.api.DeploymentReport;
import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.testing.Await;
import dev.backpressure.testing.TestingFlinkDeployments;
import dev.backpressure.testing.TestingPolicies;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Two operators on one API, each handling the policies its selector matches (a shard): every policy
 * is reconciled, and its status written, by one of them only; a deployment only one shard's policy
 * selects is read by that shard only; and a deployment that policies of both shards select is a
 * conflict in both, changed by neither.
 */
class ShardedOperatorsIT extends MockApiTest {

  private static final Pattern STATUS_WRITE =
      Pattern.compile(
          "^/apis/backpressure\\.dev/[^/]+/namespaces/default/remediationpolicies/([^/?]+)/status");

  private void policy(String name, String shard, String selectsKey, String selectsValue) {
    RemediationPolicy p =
        TestingPolicies.quick(name, RemediationPolicySpec.Mode.Enforce, flink.url().toString());
    p.getMetadata().setLabels(Map.of("shard", shard));
    p.getSpec().selector =
        new LabelSelectorBuilder().withMatchLabels(Map.of(selectsKey, selectsValue)).build();
    client.resource(p).create();
  }

  private OperatorRuntime.Running start(
      KubernetesClient c, SimpleMeterRegistry registry, String s) {
    return new OperatorRuntime(
            c,
            Set.of(),
            Optional.empty(),
            registry,
            clock,
            TestingOperator.SCRAPE,
            Optional.of(PolicyShard.parse(s, "--policy-selector")))
        .start(() -> {});
  }

  private Optional<DeploymentReport> report(String policy, String deployment) {
    RemediationPolicy p =
        client.resources(RemediationPolicy.class).inNamespace("default").withName(policy).get();
    if (p == null || p.getStatus() == null) {
      return Optional.empty();
    }
    return p.getStatus().deployments.stream().filter(d -> deployment.equals(d.name)).findFirst();
  }

  /** The deployments an operator keeps figures of, by policy: the ones it read. */
  private static Map<String, Set<String>> governed(SimpleMeterRegistry registry) {
    Map<String, Set<String>> out = new HashMap<>();
    registry
        .find("backpressure.deployment.backpressure")
        .gauges()
        .forEach(
            g ->
                out.computeIfAbsent(g.getId().getTag("policy"), k -> new TreeSet<>())
                    .add(g.getId().getTag("deployment")));
    return out;
  }

  @Test
  void eachPolicyIsHandledByOneShardAndAnOverlapAcrossShardsStopsBoth() throws Exception {
    TestingFlinkDeployments.running("orders")
        .label("team", "a")
        .label("app", "orders")
        .createIn(client);
    TestingFlinkDeployments.running("clicks").label("team", "a").createIn(client);
    TestingFlinkDeployments.running("payments").label("team", "b").createIn(client);
    TestingFlinkDeployments.running("views").label("team", "b").createIn(client);
    policy("team-a", "a", "team", "a");
    policy("team-b", "b", "team", "b");
    // Shard b's policy selects a deployment shard a's policy selects too.
    policy("orders-too", "b", "app", "orders");

    SimpleMeterRegistry registryA = new SimpleMeterRegistry();
    SimpleMeterRegistry registryB = new SimpleMeterRegistry();
    KubernetesClient clientA = k8s.newClient("shard-a");
    KubernetesClient clientB = k8s.newClient("shard-b");
    try (OperatorRuntime.Running a = start(clientA, registryA, "shard=a");
        OperatorRuntime.Running b = start(clientB, registryB, "shard=b")) {
      Await.until(
          "every policy's report, orders a conflict in both",
          () ->
              report("team-a", "orders").map(r -> r.phase).orElse(null) == DeploymentPhase.Conflict
                  && report("orders-too", "orders").map(r -> r.phase).orElse(null)
                      == DeploymentPhase.Conflict
                  && report("team-a", "clicks").isPresent()
                  && report("team-b", "payments").isPresent()
                  && report("team-b", "views").isPresent(),
          done -> done,
          WAIT);
      Await.until(
          "clicks changed by shard a",
          () -> deployment("clicks").getSpec().getFlinkConfiguration(),
          c -> c.containsKey(OVERRIDES),
          WAIT);

      assertThat(deployment("orders").getSpec().getFlinkConfiguration())
          .as("a deployment two shards' policies select is changed by neither")
          .doesNotContainKey(OVERRIDES);
      assertThat(governed(registryA)).isEqualTo(Map.of("team-a", Set.of("orders", "clicks")));
      assertThat(governed(registryB))
          .isEqualTo(Map.of("team-b", Set.of("payments", "views"), "orders-too", Set.of("orders")));
    } finally {
      clientA.close();
      clientB.close();
    }

    // Every status write of a policy came from its own shard's operator.
    Map<String, Set<String>> writers = new HashMap<>();
    RecordedRequest r;
    while ((r = k8s.server().takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
      Matcher m = STATUS_WRITE.matcher(r.getPath());
      String agent = r.getHeader("User-Agent");
      if (m.find() && !"GET".equals(r.getMethod()) && agent != null) {
        writers
            .computeIfAbsent(m.group(1), k -> new TreeSet<>())
            .add(agent.contains("shard-a") ? "a" : agent.contains("shard-b") ? "b" : agent);
      }
    }
    assertThat(writers)
        .isEqualTo(Map.of("team-a", Set.of("a"), "team-b", Set.of("b"), "orders-too", Set.of("b")));
  }
}
