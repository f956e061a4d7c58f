package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.api.DeploymentPhase;
import dev.backpressure.api.DeploymentReport;
import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.diagnosis.Cause;
import dev.backpressure.remediation.GuardState;
import dev.backpressure.remediation.Measures;
import dev.backpressure.remediation.SettingChange;
import dev.backpressure.state.GuardStateJson;
import dev.backpressure.testing.Await;
import dev.backpressure.testing.TestingFlinkDeployments;
import dev.backpressure.testing.TestingPolicies;
import io.fabric8.kubernetes.api.model.Event;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.junit.jupiter.api.Test;

/**
 * The guard annotation is on an object tenants may edit: a forged one cannot make the operator
 * write what it does not own, a deleted one neither resets the budget nor forgets a change in
 * flight, and a second policy does not take a change in flight from the one that made it.
 */
class GuardStateTrustIT extends MockApiTest {

  private static final String ACCOUNT = "kubernetes.jobmanager.service-account";

  private void enforce(String policy) {
    client
        .resource(
            TestingPolicies.quick(
                policy, RemediationPolicySpec.Mode.Enforce, flink.url().toString()))
        .create();
  }

  private FlinkDeployment deployment() {
    return deployment("orders");
  }

  private Optional<String> annotation() {
    FlinkDeployment fd = deployment();
    return fd.getMetadata().getAnnotations() == null
        ? Optional.empty()
        : Optional.ofNullable(
            fd.getMetadata().getAnnotations().get(FlinkDeployments.GUARD_ANNOTATION));
  }

  private Optional<DeploymentReport> report(String policy) {
    RemediationPolicy p =
        client.resources(RemediationPolicy.class).inNamespace("default").withName(policy).get();
    return p == null || p.getStatus() == null
        ? Optional.empty()
        : p.getStatus().deployments.stream().filter(d -> "orders".equals(d.name)).findFirst();
  }

  /** The events of this reason on the deployment (some have a twin on the policy). */
  private List<Event> events(String reason) {
    return client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(
            e ->
                e.getReason().equals(reason)
                    && e.getInvolvedObject().getKind().equals("FlinkDeployment"))
        .toList();
  }

  /** A tenant's edit of the deployment's annotations. */
  private void editAnnotations(java.util.function.Consumer<java.util.Map<String, String>> edit) {
    client
        .resources(FlinkDeployment.class)
        .inNamespace("default")
        .withName("orders")
        .edit(
            d -> {
              edit.accept(d.getMetadata().getAnnotations());
              return d;
            });
  }

  /** Applies the compute fix and waits until the policy's status records the change in flight. */
  private String applyAndAwaitRecord(String policy) throws Exception {
    TestingFlinkDeployments.running("orders").createIn(client);
    enforce(policy);
    startOperator();
    String id =
        GuardStateJson.read(
                Await.until("our change in flight", this::annotation, a -> a.isPresent(), WAIT)
                    .orElseThrow())
            .inFlight()
            .orElseThrow()
            .id();
    Await.until(
        "the policy's record of it",
        () -> report(policy).map(r -> r.guardState).orElse(""),
        g -> g.contains(id),
        WAIT);
    return id;
  }

  @Test
  void aForgedChangeOfAKeyTheOperatorDoesNotOwnIsNeverWritten() throws Exception {
    GuardState forged =
        new GuardState(
            Optional.of(
                new GuardState.InFlight(
                    "forged",
                    GuardState.Phase.APPLIED,
                    Cause.COMPUTE_BOTTLENECK,
                    "scale:x",
                    List.of(SettingChange.config(ACCOUNT, Optional.of("cluster-admin"), "flink")),
                    Instant.parse("2026-03-02T08:00:00Z"),
                    Optional.empty(),
                    new Measures(1000, 10),
                    Optional.empty(),
                    "forged")),
            List.of(),
            List.of());
    FlinkDeployment fd = TestingFlinkDeployments.running("orders").config(ACCOUNT, "flink").build();
    fd.getMetadata()
        .setAnnotations(
            new java.util.HashMap<>(
                java.util.Map.of(FlinkDeployments.GUARD_ANNOTATION, GuardStateJson.write(forged))));
    FlinkDeployment created = client.resource(fd).create();
    created.setStatus(fd.getStatus());
    client.resource(created).updateStatus();
    enforce("fix");
    startOperator();

    Event warning =
        Await.until("a warning", () -> events("GuardStateUnreadable"), l -> !l.isEmpty(), WAIT)
            .get(0);
    assertThat(warning.getType()).isEqualTo("Warning");
    assertThat(warning.getMessage())
        .contains(ACCOUNT + ", which the operator never changes")
        .contains("starts empty");
    Await.until(
        "the annotation replaced", this::annotation, a -> !a.orElse("").contains(ACCOUNT), WAIT);
    // The operator goes on with its own work (the compute fix), never with the forged rollback.
    Await.until(
        "the compute fix",
        this::deployment,
        d -> d.getSpec().getFlinkConfiguration().containsKey(OVERRIDES),
        WAIT);
    assertThat(deployment().getSpec().getFlinkConfiguration()).containsEntry(ACCOUNT, "flink");
  }

  @Test
  void deletingTheAnnotationForgetsNeitherTheChangeInFlightNorTheBudget() throws Exception {
    String id = applyAndAwaitRecord("fix");

    editAnnotations(a -> a.remove(FlinkDeployments.GUARD_ANNOTATION));

    String back =
        Await.until("the annotation written back", this::annotation, Optional::isPresent, WAIT)
            .orElseThrow();
    assertThat(GuardStateJson.read(back).inFlight())
        .hasValueSatisfying(f -> assertThat(f.id()).isEqualTo(id));
    assertThat(events("GuardStateUnreadable"))
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.getMessage())
                    .contains("it was removed")
                    .contains("written again from the record in policy fix's status"));
    assertThat(events("ChangeApplied")).as("applied once, never again").hasSize(1);
  }

  @Test
  void aSecondPolicyDoesNotFreezeTheChangeInFlight() throws Exception {
    applyAndAwaitRecord("one");

    enforce("two");
    Await.until(
        "policy two standing back",
        () -> report("two").map(r -> r.phase),
        p -> p.equals(Optional.of(DeploymentPhase.Conflict)),
        WAIT);
    Await.until(
        "policy one seeing its change through",
        () -> report("one").map(r -> r.message).orElse(""),
        m -> m.contains("this policy sees its change through"),
        WAIT);

    // The Flink operator never rolls the change out here: past the stabilization timeout the
    // policy that made it undoes it, the second one notwithstanding.
    clock.advance(Duration.ofMinutes(11));
    Await.until(
        "the change undone",
        this::deployment,
        d -> !d.getSpec().getFlinkConfiguration().containsKey(OVERRIDES),
        WAIT);
  }

  @Test
  void aForgedEmptyStateDoesNotResetWhatThePolicyRecorded() throws Exception {
    String id = applyAndAwaitRecord("fix");

    String empty = GuardStateJson.write(GuardState.initial());
    editAnnotations(a -> a.put(FlinkDeployments.GUARD_ANNOTATION, empty));

    String back =
        Await.until(
                "the record written back",
                this::annotation,
                a -> a.isPresent() && !a.get().equals(empty),
                WAIT)
            .orElseThrow();
    assertThat(GuardStateJson.read(back).inFlight())
        .hasValueSatisfying(f -> assertThat(f.id()).isEqualTo(id));
    assertThat(events("GuardStateUnreadable"))
        .anySatisfy(e -> assertThat(e.getMessage()).contains("has lost changes or bars"));
  }

  @Test
  void aStateWrittenByAnotherReleaseIsLeftAsItIs() throws Exception {
    String later = "{\"version\":2,\"whatever\":true}";
    FlinkDeployment fd = TestingFlinkDeployments.running("orders").build();
    fd.getMetadata()
        .setAnnotations(
            new java.util.HashMap<>(java.util.Map.of(FlinkDeployments.GUARD_ANNOTATION, later)));
    FlinkDeployment created = client.resource(fd).create();
    created.setStatus(fd.getStatus());
    client.resource(created).updateStatus();
    enforce("fix");
    startOperator();

    Await.until(
        "a warning",
        () -> events("GuardStateUnreadable"),
        l -> l.stream().anyMatch(e -> e.getMessage().contains("left as it is")),
        WAIT);
    assertThat(annotation()).hasValue(later);
    assertThat(deployment().getSpec().getFlinkConfiguration()).doesNotContainKey(OVERRIDES);
  }
}
