package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.backpressure.remediation.SettingChange;
import dev.backpressure.testing.TestingKubernetes;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The patch writes each key where the user keeps it, flat or nested, with the JSON type it had; and
 * the rollback the guard builds from the recorded previous values leaves the spec exactly as the
 * user wrote it. Applied by the Kubernetes API (the mock, with the FlinkDeployment CRD).
 */
class DeploymentPatchTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private TestingKubernetes k8s;
  private KubernetesClient client;

  @BeforeEach
  void start() {
    k8s = TestingKubernetes.start();
    client = k8s.client();
  }

  @AfterEach
  void stop() {
    k8s.close();
  }

  private GenericKubernetesResource create(String file) {
    GenericKubernetesResource r = FlinkDeploymentDocumentTest.load(file);
    r.getAdditionalProperties().remove("status");
    r.getMetadata().setGeneration(null);
    return client.resource(r).create();
  }

  private FlinkDeploymentDocument current(String name) throws Exception {
    return FlinkDeploymentDocument.read(
        client
            .genericKubernetesResources(
                FlinkDeploymentDocument.API_VERSION, FlinkDeploymentDocument.KIND)
            .inNamespace("default")
            .withName(name)
            .get());
  }

  private void apply(FlinkDeploymentDocument fd, List<SettingChange> changes) {
    client
        .genericKubernetesResources(
            FlinkDeploymentDocument.API_VERSION, FlinkDeploymentDocument.KIND)
        .inNamespace("default")
        .withName(fd.name())
        .patch(PatchContext.of(PatchType.JSON), DeploymentPatch.of(fd, changes, "{}"));
  }

  private static JsonNode spec(FlinkDeploymentDocument fd) {
    return JSON.valueToTree(fd.resource().getAdditionalProperties().get("spec"));
  }

  /** What the guard writes back: each key's previous value, or its removal if it was unset. */
  private static List<SettingChange> rollbackOf(List<SettingChange> changes) {
    return changes.stream()
        .map(
            c ->
                new SettingChange(c.setting(), c.key(), Optional.of(c.to()), c.from().orElse(null)))
        .toList();
  }

  @Test
  void aNestedConfigurationIsChangedWhereItLivesAndRestoredExactly() throws Exception {
    create("operator-1.13.yaml");
    FlinkDeploymentDocument before = current("orders-113");
    List<SettingChange> changes =
        List.of(
            SettingChange.config("taskmanager.memory.network.max", Optional.of("512m"), "1g"),
            SettingChange.config("taskmanager.memory.network.fraction", Optional.of("0.15"), "0.2"),
            SettingChange.config(
                "pipeline.jobvertex-parallelism-overrides", Optional.empty(), "abc:4"));

    apply(before, changes);
    FlinkDeploymentDocument changed = current("orders-113");
    JsonNode config = spec(changed).path("flinkConfiguration");
    assertThat(config.at("/taskmanager/memory/network/max").asText()).isEqualTo("1g");
    assertThat(config.at("/taskmanager/memory/network/fraction").isNumber())
        .as("a number stays a number")
        .isTrue();
    assertThat(config.at("/taskmanager/memory/network/fraction").asDouble()).isEqualTo(0.2);
    assertThat(config.at("/pipeline/jobvertex-parallelism-overrides").asText()).isEqualTo("abc:4");
    assertThat(config.has("taskmanager.memory.network.max"))
        .as("no second spelling of a key the user keeps nested")
        .isFalse();
    assertThat(changed.configuration()).hasSize(before.configuration().size() + 1);

    apply(changed, rollbackOf(changes));
    assertThat(spec(current("orders-113"))).isEqualTo(spec(before));
  }

  @Test
  void aFlatConfigurationStaysFlatAndIsRestoredExactly() throws Exception {
    create("operator-1.10.yaml");
    FlinkDeploymentDocument before = current("orders-110");
    List<SettingChange> changes =
        List.of(
            SettingChange.config("taskmanager.memory.network.max", Optional.of("256m"), "1g"),
            SettingChange.config("taskmanager.memory.network.min", Optional.empty(), "1g"));

    apply(before, changes);
    JsonNode config = spec(current("orders-110")).path("flinkConfiguration");
    assertThat(config.path("taskmanager.memory.network.max").asText()).isEqualTo("1g");
    assertThat(config.path("taskmanager.memory.network.min").asText()).isEqualTo("1g");
    assertThat(config.has("taskmanager")).isFalse();

    apply(current("orders-110"), rollbackOf(changes));
    assertThat(spec(current("orders-110"))).isEqualTo(spec(before));
  }
}
