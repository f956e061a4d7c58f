package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.api.DeploymentPhase;
import dev.backpressure.api.DeploymentReport;
import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.testing.Await;
import dev.backpressure.testing.TestingFlinkDeployments;
import dev.backpressure.testing.TestingPolicies;
import io.fabric8.kubernetes.api.model.Event;
import java.util.List;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The API server refuses the operator's patch of a FlinkDeployment as a cluster would (the mock API
 * answers the patch with a Status): each refusal is said as what it is, nothing is half-written,
 * and only a concurrent edit is decided again at once.
 */
class PatchFailureIT extends MockApiTest {

  private static final String PATH = "/flinkdeployments/orders";

  @BeforeEach
  void createOrders() {
    TestingFlinkDeployments.running("orders").createIn(client);
  }

  private void enforce() {
    client
        .resource(
            TestingPolicies.quick(
                "fix", RemediationPolicySpec.Mode.Enforce, flink.url().toString()))
        .create();
    startOperator();
  }

  private FlinkDeployment deployment() {
    return deployment("orders");
  }

  private List<Event> refusals() {
    return client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> e.getReason().equals("PatchRefused"))
        .toList();
  }

  private DeploymentReport awaitReport(String saying) throws InterruptedException {
    return Await.until(
        "the policy status saying '" + saying + "'",
        () -> {
          RemediationPolicy p =
              client
                  .resources(RemediationPolicy.class)
                  .inNamespace("default")
                  .withName("fix")
                  .get();
          return p == null || p.getStatus() == null
              ? null
              : p.getStatus().deployments.stream()
                  .filter(d -> d.message != null && d.message.contains(saying))
                  .findFirst()
                  .orElse(null);
        },
        r -> r != null,
        WAIT);
  }

  private void assertNothingWritten() {
    FlinkDeployment fd = deployment();
    assertThat(fd.getSpec().getFlinkConfiguration()).doesNotContainKey(OVERRIDES);
    assertThat(fd.getMetadata().getAnnotations()).isNullOrEmpty();
  }

  @Test
  void aMissingPermissionIsNamed() throws Exception {
    k8s.refusePatches(
        PATH,
        Integer.MAX_VALUE,
        403,
        "Forbidden",
        "flinkdeployments.flink.apache.org \"orders\" is forbidden: User"
            + " \"system:serviceaccount:ops:bpo\" cannot patch resource \"flinkdeployments\"");
    enforce();

    DeploymentReport r = awaitReport("may not patch");
    assertThat(r.phase).isEqualTo(DeploymentPhase.Held);
    assertThat(r.message)
        .contains("may not patch flinkdeployments.flink.apache.org in namespace default")
        .contains("HTTP 403")
        .contains("cannot patch resource")
        .contains("grant its service account the verb patch")
        .doesNotContain("changed while deciding");
    Await.until("a PatchRefused event", this::refusals, l -> !l.isEmpty(), WAIT);
    assertThat(refusals()).allSatisfy(e -> assertThat(e.getType()).isEqualTo("Warning"));
    assertNothingWritten();
  }

  @Test
  void aRefusedChangeCarriesTheServersReason() throws Exception {
    k8s.refusePatches(
        PATH,
        Integer.MAX_VALUE,
        422,
        "Invalid",
        "admission webhook \"flink-policy.example.com\" denied the request: overrides are not"
            + " allowed in namespace default");
    enforce();

    DeploymentReport r = awaitReport("refused the change");
    assertThat(r.message)
        .contains("HTTP 422")
        .contains("denied the request: overrides are not allowed")
        .contains("nothing was written");
    Await.until("a PatchRefused event", this::refusals, l -> !l.isEmpty(), WAIT);
    assertNothingWritten();
  }

  @Test
  void aServerErrorIsTriedAgainOnTheNextPass() throws Exception {
    k8s.refusePatches(PATH, 1, 500, "InternalError", "etcdserver: request timed out");
    enforce();

    Event refused =
        Await.until("a PatchRefused event", this::refusals, l -> !l.isEmpty(), WAIT).get(0);
    assertThat(refused.getMessage())
        .contains("HTTP 500: etcdserver: request timed out")
        .contains("if it was written after all, the next pass reads it");
    FlinkDeployment patched =
        Await.until(
            "the change on a later pass",
            this::deployment,
            fd -> fd.getSpec().getFlinkConfiguration().containsKey(OVERRIDES),
            WAIT);
    assertThat(patched.getMetadata().getAnnotations())
        .containsKey(FlinkDeployments.GUARD_ANNOTATION);
  }

  /** What a Kubernetes API server answers when the JSON Patch test of a field fails. */
  private void staleResourceVersion(int times) {
    k8s.refusePatches(
        PATH, times, 422, "", "testing value /metadata/resourceVersion failed: test failed");
  }

  @Test
  void aStaleResourceVersionIsReadAndDecidedAgainInTheSamePass() throws Exception {
    staleResourceVersion(1);
    enforce();

    Await.until(
        "our change",
        this::deployment,
        fd -> fd.getSpec().getFlinkConfiguration().containsKey(OVERRIDES),
        WAIT);
    assertThat(refusals()).as("decided again at once, nothing to warn about").isEmpty();
  }

  @Test
  void aDeploymentStaleOnEveryTryIsLeftAloneWithAWarning() throws Exception {
    staleResourceVersion(2);
    enforce();

    Event refused =
        Await.until("a PatchRefused event", this::refusals, l -> !l.isEmpty(), WAIT).get(0);
    assertThat(refused.getMessage()).contains("changed while deciding (HTTP 422)");
  }
}
