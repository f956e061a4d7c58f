package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.testing.Await;
import dev.backpressure.testing.TestingClock;
import dev.backpressure.testing.TestingFlinkDeployments;
import dev.backpressure.testing.TestingFlinkRestServer;
import dev.backpressure.testing.TestingFlinkRestServer.Fixture;
import dev.backpressure.testing.TestingKubernetes;
import dev.backpressure.testing.TestingPolicies;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.junit.jupiter.api.Test;

/**
 * Records every request the operator itself sends to the API (its own User-Agent) while it
 * diagnoses, applies a change and follows it, and checks them against {@link RequiredAccess}, which
 * the chart's RBAC is checked against: what the code uses is granted, and nothing is granted that
 * the code does not use. Leader election is on, as the chart runs it: the test API answers JOSDK's
 * SelfSubjectRulesReview with the rules {@link RequiredAccess} asks the chart for (JOSDK refuses to
 * start without its lease verbs), and the operator must then take and renew its Lease with the
 * lease verbs granted. Every write names the operator as its field manager.
 */
class RbacUsageTest {

  /**
   * Every authenticated user may ask what it is allowed to do (Kubernetes' default {@code
   * system:basic-user} role): the chart grants nothing for it.
   */
  private static final String ALLOWED_TO_ALL =
      "authorization.k8s.io/selfsubjectrulesreviews:create";

  /**
   * API discovery (the informer of generic FlinkDeployments asks which resources a group version
   * serves): readable by every authenticated user through Kubernetes' own system:discovery role.
   */
  private static final Pattern DISCOVERY = Pattern.compile("^/apis?(/[^/?]+(/v[^/?]+)?)?$");

  private static final Pattern PATH =
      Pattern.compile(
          "^/apis?/(?:([^/]+)/)?v[^/]+(?:/namespaces/[^/]+)?/([^/?]+)(?:/([^/?]+))?(?:/([^/?]+))?(\\?.*)?$");

  @Test
  void theOperatorUsesExactlyTheAccessTheChartGrants() throws Exception {
    try (TestingKubernetes k8s = TestingKubernetes.start();
        TestingFlinkRestServer flink =
            TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"))) {
      KubernetesClient test = k8s.client();
      TestingFlinkDeployments.running("orders").createIn(test);
      test.resource(
              TestingPolicies.quick(
                  "fix", RemediationPolicySpec.Mode.Enforce, flink.url().toString()))
          .create();
      k8s.grant(RequiredAccess.WITH_LEADER_ELECTION);

      TestingClock clock = new TestingClock(Instant.parse("2026-03-02T10:00:00Z"));
      KubernetesClient operatorClient = k8s.newClient("operator-under-test");
      AtomicBoolean lost = new AtomicBoolean();
      try (OperatorRuntime.Running operator =
          TestingOperator.start(
              operatorClient,
              clock,
              new SimpleMeterRegistry(),
              Optional.of("default"),
              () -> lost.set(true))) {
        Await.until(
            "our change",
            () ->
                test.resources(FlinkDeployment.class)
                    .inNamespace("default")
                    .withName("orders")
                    .get(),
            x ->
                x.getSpec()
                    .getFlinkConfiguration()
                    .containsKey("pipeline.jobvertex-parallelism-overrides"),
            Duration.ofSeconds(60));
        // The pass after the change reads the deployment afresh (a change is in flight) and, the
        // deployment being stable, starts verifying: every verb of the story has then been used.
        Await.until(
            "a pass that waits for the roll-out",
            () ->
                test.resources(RemediationPolicy.class)
                    .inNamespace("default")
                    .withName("fix")
                    .get(),
            x ->
                x.getStatus() != null
                    && x.getStatus().deployments.stream()
                        .anyMatch(
                            d ->
                                d.message != null
                                    && d.message.startsWith("restarting with the change")),
            Duration.ofSeconds(60));
        // Past the events' quiet window the diagnosis, still the same, is told again: the same
        // Event, counted up (a patch), not a new one.
        clock.advance(EventRecorder.DEDUPE.plusSeconds(1));
        Await.until(
            "a repeated diagnosis counted on its event",
            () ->
                test.v1().events().inNamespace("default").list().getItems().stream()
                    .filter(e -> "BackpressureDiagnosed".equals(e.getReason()))
                    .toList(),
            l -> l.size() == 1 && l.get(0).getCount() >= 2,
            Duration.ofSeconds(60));
        // The leader renews its Lease every couple of seconds: wait for one renewal.
        Await.until(
            "a renewed lease",
            () -> test.leases().inNamespace("default").withName(OperatorRuntime.LEASE_NAME).get(),
            l -> l != null && l.getSpec().getRenewTime().isAfter(l.getSpec().getAcquireTime()),
            Duration.ofSeconds(30));
      } finally {
        operatorClient.close();
      }
      assertThat(lost).as("the operator lost its Lease while running").isFalse();

      Set<String> used = new HashSet<>();
      int writes = 0;
      RecordedRequest r;
      while ((r = k8s.server().takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
        String ua = r.getHeader("User-Agent");
        if (ua == null || !ua.contains("operator-under-test")) {
          continue;
        }
        if (DISCOVERY.matcher(r.getPath()).matches()) {
          continue;
        }
        Matcher m = PATH.matcher(r.getPath());
        assertThat(m.matches()).as("unexpected request path %s", r.getPath()).isTrue();
        String group = m.group(1) == null ? "" : m.group(1);
        String resource = m.group(2);
        String name = m.group(3);
        String sub = m.group(4);
        String query = m.group(5) == null ? "" : m.group(5);
        String verb =
            switch (r.getMethod()) {
              case "GET" -> name != null ? "get" : query.contains("watch=true") ? "watch" : "list";
              case "POST" -> "create";
              case "PUT" -> "update";
              case "PATCH" -> "patch";
              case "DELETE" -> "delete";
              default -> r.getMethod();
            };
        used.add(group + "/" + resource + (sub != null ? "/" + sub : "") + ":" + verb);
        if (Set.of("create", "update", "patch").contains(verb)) {
          writes++;
          assertThat(query)
              .as("%s %s names the operator as its field manager", r.getMethod(), r.getPath())
              .contains("fieldManager=" + FieldManager.NAME);
        }
      }
      assertThat(writes).as("writes the operator sent").isGreaterThan(5);
      used.remove(ALLOWED_TO_ALL);
      used.add(RequiredAccess.DEMANDED_NOT_USED);
      assertThat(RequiredAccess.permissions(RequiredAccess.WITH_LEADER_ELECTION))
          .as("granted but never used: trim RequiredAccess and the chart")
          .containsExactlyInAnyOrderElementsOf(used);
    }
  }
}
