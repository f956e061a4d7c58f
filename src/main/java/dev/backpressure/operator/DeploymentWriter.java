package dev.backpressure.operator;

import dev.backpressure.remediation.SettingChange;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Optional;

/**
 * The operator's only reads and writes of FlinkDeployments outside the informer: a fresh read
 * before judging a change in flight, and the one patch that carries a change with its guard record.
 */
final class DeploymentWriter {

  private final KubernetesClient client;
  private final InformerEventSource<GenericKubernetesResource, ?> cache;

  DeploymentWriter(
      KubernetesClient client, InformerEventSource<GenericKubernetesResource, ?> cache) {
    this.client = client;
    this.cache = cache;
  }

  /** The deployment as the API server holds it now; empty when it is gone or cannot be read. */
  Optional<FlinkDeploymentDocument> read(FlinkDeploymentDocument fd) {
    GenericKubernetesResource now =
        flinkDeployments().inNamespace(fd.namespace()).withName(fd.name()).get();
    if (now == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(FlinkDeploymentDocument.read(now));
    } catch (FlinkDeploymentDocument.Unreadable e) {
      return Optional.empty();
    }
  }

  /**
   * Writes the changes and the guard record in one JSON patch that tests the resource version it
   * was computed against, so that nothing another writer changed meanwhile is overwritten.
   */
  void patch(FlinkDeploymentDocument fd, List<SettingChange> changes, String guardJson) {
    String body = DeploymentPatch.of(fd, changes, guardJson);
    GenericKubernetesResource updated =
        flinkDeployments()
            .inNamespace(fd.namespace())
            .withName(fd.name())
            .patch(PatchContext.of(PatchType.JSON), body);
    // Our own write goes into the informer's cache at once, so that the next pass decides on it
    // rather than on the version before it.
    if (updated != null) {
      cache.handleRecentResourceUpdate(ResourceID.fromResource(updated), updated, fd.resource());
    }
  }

  private MixedOperation<
          GenericKubernetesResource,
          GenericKubernetesResourceList,
          Resource<GenericKubernetesResource>>
      flinkDeployments() {
    return client.genericKubernetesResources(
        FlinkDeploymentDocument.API_VERSION, FlinkDeploymentDocument.KIND);
  }
}
