package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.backpressure.flink.JobState;
import dev.backpressure.remediation.DeploymentState;
import dev.backpressure.remediation.Lifecycle;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * FlinkDeployments as operator releases 1.10, 1.13 and 1.15 write them (and one from a release not
 * out yet) are read into the same few fields; what cannot be read without guessing is refused with
 * a reason that says what to change.
 */
class FlinkDeploymentDocumentTest {

  static GenericKubernetesResource load(String file) {
    try (InputStream in =
        FlinkDeploymentDocumentTest.class.getResourceAsStream("/flinkdeployments/" + file)) {
      return Serialization.unmarshal(in, GenericKubernetesResource.class);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static FlinkDeploymentDocument read(String file) throws FlinkDeploymentDocument.Unreadable {
    return FlinkDeploymentDocument.read(load(file));
  }

  @Test
  void operator110FlatStringsAndARunningStableJob() throws Exception {
    FlinkDeploymentDocument d = read("operator-1.10.yaml");
    assertThat(d.flinkVersion()).isEqualTo("v1_20");
    assertThat(d.specFlinkVersion().major()).isEqualTo(1);
    assertThat(d.specFlinkVersion().minor()).isEqualTo(20);
    assertThat(d.configuration())
        .containsEntry("taskmanager.numberOfTaskSlots", "2")
        .containsEntry("taskmanager.memory.network.max", "256m");
    assertThat(d.configurationPaths().get("taskmanager.memory.network.max"))
        .containsExactly("taskmanager.memory.network.max");
    assertThat(d.jobParallelism()).isEqualTo(2);
    assertThat(d.upgradeMode()).isEqualTo("savepoint");
    assertThat(d.taskManagerMemory()).contains("2Gi");
    assertThat(d.jobId()).contains("de524132b108fa35bad767da970d0c90");
    assertThat(d.runsCurrentSpec()).isTrue();
    DeploymentState s = FlinkDeployments.state(d, List.of(), Map.of());
    assertThat(s.stableAndRunning()).isTrue();
    assertThat(s.autoscalerEnabled()).isFalse();
  }

  @Test
  void operator113NestedConfigurationIsFlattenedWithDotsAsTheFlinkOperatorDoes() throws Exception {
    FlinkDeploymentDocument d = read("operator-1.13.yaml");
    assertThat(d.specFlinkVersion().major()).isEqualTo(2);
    assertThat(d.specFlinkVersion().minor()).isEqualTo(1);
    assertThat(d.configuration())
        .containsEntry("taskmanager.numberOfTaskSlots", "2")
        .containsEntry("taskmanager.memory.network.fraction", "0.15")
        .containsEntry("taskmanager.memory.network.max", "512m")
        .containsEntry("pipeline.name", "orders")
        .containsEntry("state.savepoints.dir", "file:///flink-data/savepoints");
    assertThat(d.configurationPaths().get("taskmanager.memory.network.fraction"))
        .containsExactly("taskmanager", "memory", "network", "fraction");
    assertThat(d.node("taskmanager.memory.network.fraction").isNumber()).isTrue();
    assertThat(d.upgradeMode()).isEqualTo("last-state");
    assertThat(d.taskManagerMemory()).contains("1.5Gi");
    assertThat(d.runsCurrentSpec()).isTrue();
    assertThat(FlinkDeployments.state(d, List.of(), Map.of()).stableAndRunning()).isTrue();
  }

  @Test
  void operator115MixedFormsAndAGenerationNotYetReconciled() throws Exception {
    FlinkDeploymentDocument d = read("operator-1.15.yaml");
    assertThat(d.flinkVersion()).isEqualTo("v2_4");
    assertThat(d.configuration())
        .containsEntry("taskmanager.memory.network.min", "128m")
        .containsEntry("jobmanager.scheduler", "adaptive")
        .containsEntry(
            "pipeline.jobvertex-parallelism-overrides", "bc764cd8ddf7a0cff126f51c16239658:2");
    assertThat(d.configurationPaths().get("taskmanager.memory.network.min"))
        .containsExactly("taskmanager", "memory.network.min");
    // observedGeneration 7 < generation 8: the Flink operator has not taken the latest spec yet.
    assertThat(d.runsCurrentSpec()).isFalse();
    assertThat(FlinkDeployments.state(d, List.of(), Map.of()).lifecycleState())
        .isEqualTo(Lifecycle.PENDING);
  }

  @Test
  void aReleaseNotOutYetIsReadAndItsUnknownValuesKeptAsText() throws Exception {
    FlinkDeploymentDocument d = read("future.yaml");
    assertThat(d.flinkVersion()).isEqualTo("v3_0");
    assertThat(d.specFlinkVersion().major()).isEqualTo(3);
    assertThat(d.upgradeMode()).isEqualTo("some-new-mode");
    assertThat(d.lifecycleState()).isEqualTo("SOME_NEW_STATE");
    assertThat(d.jobParallelism()).isEqualTo(4);
    DeploymentState s = FlinkDeployments.state(d, List.of(), Map.of());
    assertThat(s.jobState()).isEqualTo(JobState.RUNNING);
    assertThat(s.stableAndRunning()).isFalse();
  }

  @Test
  void theLastReconciledSpecDecidesWhenThereIsNoObservedGeneration() throws Exception {
    GenericKubernetesResource r = load("operator-1.13.yaml");
    @SuppressWarnings("unchecked")
    Map<String, Object> status = (Map<String, Object>) r.getAdditionalProperties().get("status");
    status.remove("observedGeneration");
    assertThat(FlinkDeploymentDocument.read(r).runsCurrentSpec()).isTrue();

    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) r.getAdditionalProperties().get("spec");
    @SuppressWarnings("unchecked")
    Map<String, Object> config = (Map<String, Object>) spec.get("flinkConfiguration");
    config.put("pipeline.jobvertex-parallelism-overrides", "abc:4");
    assertThat(FlinkDeploymentDocument.read(r).runsCurrentSpec()).isFalse();
  }

  @Test
  void theAutoscalerIsSeenInTheSpecOrInWhatTheJobManagerRunsUnderEitherKey() throws Exception {
    FlinkDeploymentDocument d = read("operator-1.10.yaml");
    assertThat(
            FlinkDeployments.state(
                    d, List.of(), Map.of("kubernetes.operator.job.autoscaler.enabled", "true"))
                .autoscalerEnabled())
        .as("switched on in the Flink operator's defaults, visible in /jobmanager/config")
        .isTrue();
    assertThat(
            FlinkDeployments.state(d, List.of(), Map.of("job.autoscaler.enabled", "true"))
                .autoscalerEnabled())
        .isTrue();

    GenericKubernetesResource r = load("operator-1.13.yaml");
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) r.getAdditionalProperties().get("spec");
    @SuppressWarnings("unchecked")
    Map<String, Object> config = (Map<String, Object>) spec.get("flinkConfiguration");
    config.put("job", Map.of("autoscaler", Map.of("enabled", false)));
    assertThat(
            FlinkDeployments.state(
                    FlinkDeploymentDocument.read(r),
                    List.of(),
                    Map.of("job.autoscaler.enabled", "true"))
                .autoscalerEnabled())
        .as("the spec's own 'false' wins over the operator's default, as at the next restart")
        .isFalse();
  }

  @Test
  void aConfigurationThatIsNotAMapIsRefusedWithTheReason() {
    assertThatThrownBy(() -> read("unreadable-configuration.yaml"))
        .isInstanceOf(FlinkDeploymentDocument.Unreadable.class)
        .hasMessageContaining("spec.flinkConfiguration is the text")
        .hasMessageContaining("not a map of keys to values");
  }

  @Test
  void aKeySetTwiceFlatAndNestedIsRefusedNamingBothPlaces() {
    assertThatThrownBy(() -> read("unreadable-twice.yaml"))
        .isInstanceOf(FlinkDeploymentDocument.Unreadable.class)
        .hasMessageContaining("'taskmanager.memory.network.max' twice")
        .hasMessageContaining("taskmanager/memory/network/max")
        .hasMessageContaining("keep one of them");
  }

  @Test
  void aParallelismThatIsNotAWholeNumberIsRefused() {
    assertThatThrownBy(() -> read("unreadable-parallelism.yaml"))
        .isInstanceOf(FlinkDeploymentDocument.Unreadable.class)
        .hasMessageContaining("spec.job.parallelism is the text \"many\", not a whole number");
  }

  @Test
  void aNewKeyGoesIntoTheNestedObjectTheUserAlreadyKeepsForIt() throws Exception {
    FlinkDeploymentDocument nested = read("operator-1.13.yaml");
    assertThat(nested.pathFor("taskmanager.memory.network.min"))
        .containsExactly("taskmanager", "memory", "network", "min");
    assertThat(nested.pathFor("pipeline.jobvertex-parallelism-overrides"))
        .containsExactly("pipeline", "jobvertex-parallelism-overrides");
    assertThat(nested.pathFor("jobmanager.scheduler")).containsExactly("jobmanager.scheduler");

    FlinkDeploymentDocument flat = read("operator-1.10.yaml");
    assertThat(flat.pathFor("taskmanager.memory.network.min"))
        .containsExactly("taskmanager.memory.network.min");
  }
}
