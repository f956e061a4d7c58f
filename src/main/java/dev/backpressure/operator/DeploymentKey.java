package dev.backpressure.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * A FlinkDeployment by namespace and name: how a scrape, the window it feeds and the pass that
 * reads it find one another, built in one place so that they always match.
 */
public record DeploymentKey(String namespace, String name) {

  static DeploymentKey of(HasMetadata resource) {
    return new DeploymentKey(
        resource.getMetadata().getNamespace(), resource.getMetadata().getName());
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
