package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.backpressure.api.DeploymentPhase;
import dev.backpressure.api.DeploymentReport;
import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.remediation.ParallelismOverrides;
import dev.backpressure.testing.Await;
import dev.backpressure.testing.TestingFlinkDeployments;
import dev.backpressure.testing.TestingPolicies;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.junit.jupiter.api.Test;

/**
 * The operator against the Fabric8 mock Kubernetes API (CRUD mode, both CRDs created in it), with
 * Flink REST served from answers recorded from a real Flink 1.20.3 job with a compute bottleneck.
 */
class OperatorIT extends MockApiTest {

  /**
   * Creates the deployment and then writes its status, as the Flink operator would: the API server
   * ignores status on create when the CRD has a status subresource.
   */
  private FlinkDeployment createRunning(FlinkDeployment fd) {
    FlinkDeployment created = client.resource(fd).create();
    created.setStatus(fd.getStatus());
    return client.resource(created).updateStatus();
  }

  private RemediationPolicy policy(String name, RemediationPolicySpec.Mode mode, String restUrl) {
    RemediationPolicy p = TestingPolicies.quick(name, mode, restUrl);
    p.getSpec().detection.windowSize = 6;
    return p;
  }

  /** Waits for the operator's patch to reach the deployment "orders". */
  private FlinkDeployment awaitOurChange() throws InterruptedException {
    return Await.until(
        "our change on the deployment",
        () -> deployment("orders"),
        fd -> fd.getSpec().getFlinkConfiguration().containsKey(OVERRIDES),
        WAIT);
  }

  private RemediationPolicy policy(String name) {
    return client.resources(RemediationPolicy.class).inNamespace("default").withName(name).get();
  }

  private List<Event> events(String involvedName, String reason) {
    return client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(
            e ->
                e.getInvolvedObject().getName().equals(involvedName)
                    && e.getReason().equals(reason))
        .toList();
  }

  /** The policy's conditions, once it has any. */
  private List<Condition> awaitConditions(String policy) throws InterruptedException {
    return Await.until(
            "conditions on " + policy,
            () -> policy(policy),
            x -> x.getStatus() != null && !x.getStatus().conditions.isEmpty(),
            WAIT)
        .getStatus()
        .conditions;
  }

  private static Optional<DeploymentReport> report(RemediationPolicy p, String name) {
    if (p == null || p.getStatus() == null) {
      return Optional.empty();
    }
    return p.getStatus().deployments.stream().filter(d -> name.equals(d.name)).findFirst();
  }

  /**
   * Creates a FlinkDeployment document as a given Flink operator release writes it, then its status
   * (for the generation the API server gave it), as that operator would.
   */
  private void createFromFile(String file) {
    GenericKubernetesResource r = FlinkDeploymentDocumentTest.load(file);
    Object status = r.getAdditionalProperties().remove("status");
    r.getMetadata().setGeneration(null);
    GenericKubernetesResource created = client.resource(r).create();
    if (status != null) {
      @SuppressWarnings("unchecked")
      Map<String, Object> s = new java.util.HashMap<>((Map<String, Object>) status);
      s.put("observedGeneration", created.getMetadata().getGeneration());
      created.setAdditionalProperty("status", s);
      client.resource(created).updateStatus();
    }
  }

  @Test
  void deploymentsOfLaterFlinkOperatorsAreReadAndOneThatCannotBeDoesNotBlindTheOthers()
      throws Exception {
    createFromFile("operator-1.13.yaml");
    createFromFile("unreadable-configuration.yaml");
    client
        .resource(policy("watch", RemediationPolicySpec.Mode.DryRun, flink.url().toString()))
        .create();
    startOperator();

    RemediationPolicy p =
        Await.until(
            "a plan for the Flink 2.1 deployment and the other one named unreadable",
            () -> policy("watch"),
            x ->
                report(x, "orders-113").map(r -> r.phase == DeploymentPhase.Planned).orElse(false)
                    && report(x, "broken-config").map(r -> r.phase != null).orElse(false),
            WAIT);
    DeploymentReport planned = report(p, "orders-113").orElseThrow();
    assertThat(planned.lastDiagnosis.cause).isEqualTo("COMPUTE_BOTTLENECK");
    assertThat(planned.lastChange.changes).singleElement().asString().startsWith(OVERRIDES);

    DeploymentReport broken = report(p, "broken-config").orElseThrow();
    assertThat(broken.phase).isEqualTo(DeploymentPhase.Unreadable);
    assertThat(broken.message)
        .contains("cannot be read")
        .contains("spec.flinkConfiguration is the text");
    assertThat(events("broken-config", "DeploymentUnreadable"))
        .singleElement()
        .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));
    assertThat(p.getStatus().conditions)
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("Degraded");
              assertThat(c.getStatus()).isEqualTo("True");
              assertThat(c.getMessage()).contains("broken-config");
            });
  }

  @Test
  void dryRunReportsTheDiagnosisAndThePlanAndChangesNothing() throws Exception {
    FlinkDeployment created = createRunning(TestingFlinkDeployments.running("orders").build());
    client
        .resource(policy("watch", RemediationPolicySpec.Mode.DryRun, flink.url().toString()))
        .create();
    startOperator();

    RemediationPolicy p =
        Await.until(
            "a planned change in the policy status",
            () -> policy("watch"),
            x -> report(x, "orders").map(r -> r.phase == DeploymentPhase.Planned).orElse(false),
            WAIT);
    DeploymentReport r = report(p, "orders").orElseThrow();
    assertThat(r.lastDiagnosis.cause).isEqualTo("COMPUTE_BOTTLENECK");
    assertThat(r.lastDiagnosis.vertex).startsWith("heavy map");
    assertThat(r.lastChange.changes)
        .singleElement()
        .asString()
        .startsWith(OVERRIDES + ": (unset) → ");
    assertThat(p.getStatus().backpressured).isEqualTo(1);
    assertThat(p.getStatus().conditions)
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("Backpressured");
              assertThat(c.getStatus()).isEqualTo("True");
            });
    assertThat(p.getStatus().observedGeneration).isEqualTo(p.getMetadata().getGeneration());
    Await.until(
        "a ChangePlanned event on the deployment",
        () -> events("orders", "ChangePlanned"),
        l -> !l.isEmpty(),
        WAIT);
    Await.until(
        "a BackpressureDiagnosed event",
        () -> events("orders", "BackpressureDiagnosed"),
        l -> !l.isEmpty(),
        WAIT);
    FlinkDeployment after = deployment("orders");
    assertThat(after.getSpec().getFlinkConfiguration()).doesNotContainKey(OVERRIDES);
    assertThat(after.getSpec()).isEqualTo(created.getSpec());
  }

  @Test
  void enforcePatchesExactlyThePlannedKeysAndRecordsTheGuardState() throws Exception {
    FlinkDeployment created =
        createRunning(
            TestingFlinkDeployments.running("orders")
                .config("state.backend.type", "hashmap")
                .build());
    client
        .resource(policy("fix", RemediationPolicySpec.Mode.Enforce, flink.url().toString()))
        .create();
    startOperator();

    FlinkDeployment patched = awaitOurChange();
    String vertex = "20ba6b65f97481d5570070de90e4e791";
    assertThat(patched.getSpec().getFlinkConfiguration().get(OVERRIDES)).isEqualTo(vertex + ":8");
    // Nothing else in the spec moved.
    Map<String, String> before = created.getSpec().getFlinkConfiguration();
    Map<String, String> after = new java.util.HashMap<>(patched.getSpec().getFlinkConfiguration());
    after.remove(OVERRIDES);
    assertThat(after).isEqualTo(before);
    assertThat(patched.getSpec().getJob()).isEqualTo(created.getSpec().getJob());
    assertThat(patched.getMetadata().getAnnotations().get(FlinkDeployments.GUARD_ANNOTATION))
        .contains("\"phase\":\"APPLIED\"");
    Await.until(
        "a ChangeApplied event", () -> events("orders", "ChangeApplied"), l -> !l.isEmpty(), WAIT);
    Await.until(
        "Remediating=True on the policy",
        () -> policy("fix"),
        x -> x.getStatus() != null && x.getStatus().remediating == 1,
        WAIT);
  }

  @Test
  void anInvalidPolicyGetsAConditionThatSaysWhatToChange() throws Exception {
    createRunning(TestingFlinkDeployments.running("orders").build());
    RemediationPolicy bad =
        policy("bad", RemediationPolicySpec.Mode.Enforce, flink.url().toString());
    bad.getSpec().selector = new LabelSelectorBuilder().build();
    bad.getSpec().guard.verificationWindow = "five minutes";
    client.resource(bad).create();
    startOperator();

    assertThat(awaitConditions("bad"))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getType()).isEqualTo("Ready");
              assertThat(c.getStatus()).isEqualTo("False");
              assertThat(c.getReason()).isEqualTo("InvalidSpec");
              assertThat(c.getMessage())
                  .contains("must select FlinkDeployments by label")
                  .contains("spec.guard.verificationWindow must be a duration such as");
            });
    assertThat(deployment("orders").getMetadata().getAnnotations()).isNullOrEmpty();
  }

  @Test
  void aRestAddressOutsideTheOperatorsAllowListIsRefusedAndNeverRequested() throws Exception {
    createRunning(TestingFlinkDeployments.running("orders").build());
    // The test Flink itself, by a name the operator was not told it may read.
    String byName = "http://localhost:" + flink.url().getPort();
    client.resource(policy("elsewhere", RemediationPolicySpec.Mode.Enforce, byName)).create();
    startOperator();

    assertThat(awaitConditions("elsewhere"))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getReason()).isEqualTo("InvalidSpec");
              assertThat(c.getMessage())
                  .contains("spec.restUrlTemplate (" + byName + ")")
                  .contains("names a host the operator may not read")
                  .contains("allowedRestHosts");
            });
    Await.until(
        "a PolicyInvalid event",
        () -> events("elsewhere", "PolicyInvalid"),
        l -> !l.isEmpty(),
        WAIT);
    assertThat(flink.requestCount()).as("requests sent to a host not allowed").isZero();
  }

  @Test
  void flinkRestDownMeansNoActionAndAConditionSayingSo() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    createRunning(TestingFlinkDeployments.running("orders").build());
    client
        .resource(policy("fix", RemediationPolicySpec.Mode.Enforce, "http://127.0.0.1:" + closed))
        .create();
    startOperator();

    RemediationPolicy p =
        Await.until(
            "Degraded=True",
            () -> policy("fix"),
            x ->
                x.getStatus() != null
                    && x.getStatus().conditions.stream()
                        .anyMatch(
                            c -> c.getType().equals("Degraded") && c.getStatus().equals("True")),
            WAIT);
    assertThat(p.getStatus().conditions)
        .anySatisfy(
            c -> {
              assertThat(c.getReason()).isEqualTo("FlinkUnreadable");
              assertThat(c.getMessage()).contains("orders");
            });
    Await.until(
        "a ScrapeFailed event", () -> events("orders", "ScrapeFailed"), l -> !l.isEmpty(), WAIT);
    FlinkDeployment fd = deployment("orders");
    assertThat(fd.getSpec().getFlinkConfiguration()).doesNotContainKey(OVERRIDES);
    assertThat(fd.getMetadata().getAnnotations()).isNullOrEmpty();
  }

  @Test
  void flinkGoneWhileOurChangeRollsOutIsTheRestartNotAWarning() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    createRunning(TestingFlinkDeployments.running("orders").build());
    client
        .resource(policy("fix", RemediationPolicySpec.Mode.Enforce, flink.url().toString()))
        .create();
    operator = TestingOperator.start(client, clock, registry);
    FlinkDeployment applied = awaitOurChange();
    // The Flink operator stops the job to roll the change out: its REST endpoint goes away.
    applied.setStatus(TestingFlinkDeployments.upgradingStatus(applied));
    client.resource(applied).updateStatus();
    flink.close();
    Await.until(
        "three failed scrapes",
        () -> registry.find("backpressure.scrape.failures").counters(),
        counters -> counters.stream().mapToDouble(c -> c.count()).sum() >= 3,
        WAIT);
    assertThat(events("orders", "ScrapeFailed")).isEmpty();
    assertThat(policy("fix").getStatus().conditions)
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("Degraded");
              assertThat(c.getStatus()).isEqualTo("False");
            });

    // The job is back on the new spec, STABLE and RUNNING; once past the restart's grace period, a
    // Flink that cannot be read is a fault again, and it is said.
    FlinkDeployment upgraded = deployment("orders");
    upgraded.setStatus(
        TestingFlinkDeployments.stableStatus(upgraded, "de524132b108fa35bad767da970d0c90"));
    client.resource(upgraded).updateStatus();
    Await.until(
        "the guard to see the job stable",
        () ->
            deployment("orders")
                .getMetadata()
                .getAnnotations()
                .get(FlinkDeployments.GUARD_ANNOTATION),
        a -> a.contains("stableSince"),
        WAIT);
    assertThat(events("orders", "ScrapeFailed")).isEmpty();
    clock.advance(Duration.ofSeconds(31));
    Await.until(
        "a ScrapeFailed event", () -> events("orders", "ScrapeFailed"), l -> !l.isEmpty(), WAIT);
  }

  @Test
  void aConflictingEditIsNotOverwritten() throws Exception {
    createRunning(TestingFlinkDeployments.running("orders").build());
    client
        .resource(policy("fix", RemediationPolicySpec.Mode.Enforce, flink.url().toString()))
        .create();
    startOperator();
    awaitOurChange();

    // A person sets their own override while ours is in flight.
    client
        .resources(FlinkDeployment.class)
        .inNamespace("default")
        .withName("orders")
        .edit(
            fd -> {
              fd.getSpec()
                  .getFlinkConfiguration()
                  .put(OVERRIDES, "20ba6b65f97481d5570070de90e4e791:3");
              return fd;
            });
    Await.until(
        "a ConflictingEdit event",
        () -> events("orders", "ConflictingEdit"),
        l -> !l.isEmpty(),
        WAIT);
    FlinkDeployment fd = deployment("orders");
    assertThat(fd.getSpec().getFlinkConfiguration().get(OVERRIDES))
        .isEqualTo("20ba6b65f97481d5570070de90e4e791:3");
    assertThat(fd.getMetadata().getAnnotations().get(FlinkDeployments.GUARD_ANNOTATION))
        .contains("ABANDONED")
        .doesNotContain("inFlight");
  }

  @Test
  void twoPoliciesSelectingOneDeploymentBothSayItAndNeitherActs() throws Exception {
    createRunning(TestingFlinkDeployments.running("orders").build());
    client
        .resource(policy("one", RemediationPolicySpec.Mode.Enforce, flink.url().toString()))
        .create();
    client
        .resource(policy("two", RemediationPolicySpec.Mode.Enforce, flink.url().toString()))
        .create();
    startOperator();
    for (String name : List.of("one", "two")) {
      RemediationPolicy p =
          Await.until(
              "Ready=False on " + name,
              () -> policy(name),
              x ->
                  x.getStatus() != null
                      && x.getStatus().conditions.stream()
                          .anyMatch(c -> c.getReason().equals("OverlappingPolicies")),
              WAIT);
      assertThat(report(p, "orders").orElseThrow().phase).isEqualTo(DeploymentPhase.Conflict);
    }
    assertThat(deployment("orders").getSpec().getFlinkConfiguration()).doesNotContainKey(OVERRIDES);
  }

  @Test
  void aRestartedOperatorResumesVerificationAndRollsBackWithoutApplyingTwice() throws Exception {
    createRunning(TestingFlinkDeployments.running("orders").build());
    client
        .resource(policy("fix", RemediationPolicySpec.Mode.Enforce, flink.url().toString()))
        .create();
    startOperator();
    FlinkDeployment applied = awaitOurChange();
    // The event is written right after the patch: wait for it, so that the count below is final.
    Await.until(
        "the ChangeApplied event",
        () -> events("orders", "ChangeApplied"),
        l -> l.size() == 1,
        WAIT);
    operator.close();
    operator = null;

    // The Flink operator rolls the change out: the job is back, RUNNING and STABLE on the new spec,
    // and Flink runs it (the recorded job graph, with the vertex at its new parallelism).
    Map<String, Integer> wanted =
        ParallelismOverrides.parse(applied.getSpec().getFlinkConfiguration().get(OVERRIDES));
    flink.rewrite(
        "/jobs/de524132b108fa35bad767da970d0c90",
        body -> {
          for (JsonNode v : body.path("vertices")) {
            Integer p = wanted.get(v.path("id").asText());
            if (p != null) {
              ((ObjectNode) v).put("parallelism", p);
            }
          }
          return body;
        });
    applied.setStatus(
        TestingFlinkDeployments.stableStatus(applied, "de524132b108fa35bad767da970d0c90"));
    client.resource(applied).updateStatus();

    startOperator();
    Await.until(
        "verification under way",
        () -> deployment("orders"),
        fd ->
            fd.getMetadata()
                .getAnnotations()
                .get(FlinkDeployments.GUARD_ANNOTATION)
                .contains("VERIFYING"),
        WAIT);
    // The verification window passes; the recorded job is exactly as backpressured as before.
    clock.advance(Duration.ofMinutes(6));
    FlinkDeployment back;
    try {
      back =
          Await.until(
              "the rollback",
              () -> deployment("orders"),
              fd -> !fd.getSpec().getFlinkConfiguration().containsKey(OVERRIDES),
              WAIT);
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage()
              + "\npolicy status: "
              + io.fabric8.kubernetes.client.utils.Serialization.asJson(policy("fix").getStatus()),
          e);
    }
    assertThat(back.getMetadata().getAnnotations().get(FlinkDeployments.GUARD_ANNOTATION))
        .contains("ROLLING_BACK")
        .contains("COMPUTE_BOTTLENECK/scale:");
    Await.until(
        "a ChangeRolledBack warning",
        () -> events("orders", "ChangeRolledBack"),
        l -> !l.isEmpty() && l.get(0).getType().equals("Warning"),
        WAIT);
    assertThat(events("orders", "ChangeApplied")).as("applied once, never again").hasSize(1);
  }
}
