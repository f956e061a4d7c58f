package dev.backpressure.api;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the operator reports on a policy: conditions, counts, and one entry per deployment. */
public class RemediationPolicyStatus {

  public Long observedGeneration;
  public List<Condition> conditions = new ArrayList<>();
  public Integer deploymentsGoverned = 0;
  public Integer backpressured = 0;
  public Integer remediating = 0;
  public List<DeploymentReport> deployments = new ArrayList<>();
}
