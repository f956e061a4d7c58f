package dev.backpressure.operator;

import dev.backpressure.api.DeploymentReport;
import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicyStatus;
import java.util.List;
import java.util.Optional;

/**
 * The policy status as the last pass wrote it: what a pass carries over for a deployment it could
 * not look at now (its last diagnosis and change, and above all its guard record).
 */
record PreviousStatus(RemediationPolicyStatus status) {

  static PreviousStatus of(RemediationPolicy policy) {
    return new PreviousStatus(
        policy.getStatus() == null ? new RemediationPolicyStatus() : policy.getStatus());
  }

  List<DeploymentReport> deployments() {
    return status.deployments;
  }

  /** The guard record the status holds for a deployment, when it holds one. */
  Optional<String> guard(String name) {
    return of(name).map(r -> r.guardState).filter(g -> !g.isEmpty());
  }

  DeploymentReport.Diagnosis diagnosis(String name) {
    return of(name).map(r -> r.lastDiagnosis).orElse(null);
  }

  DeploymentReport.Change change(String name) {
    return of(name).map(r -> r.lastChange).orElse(null);
  }

  /** What the last pass reported on a deployment, if it reported on it. */
  Optional<DeploymentReport> report(String name) {
    return of(name);
  }

  private Optional<DeploymentReport> of(String name) {
    return status.deployments.stream().filter(r -> name.equals(r.name)).findFirst();
  }
}
