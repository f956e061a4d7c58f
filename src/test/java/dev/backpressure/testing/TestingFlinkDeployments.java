package dev.backpressure.testing;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.apache.flink.kubernetes.operator.api.spec.FlinkDeploymentSpec;
import org.apache.flink.kubernetes.operator.api.spec.JobSpec;
import org.apache.flink.kubernetes.operator.api.spec.UpgradeMode;
import org.apache.flink.kubernetes.operator.api.status.FlinkDeploymentStatus;
import org.apache.flink.kubernetes.operator.api.status.ReconciliationState;

/**
 * FlinkDeployments for tests, as the Flink Kubernetes Operator leaves them: {@code
 * TestingFlinkDeployments.running("orders").label("team", "data").upgradeMode(SAVEPOINT).build()}
 * is RUNNING and STABLE (its last reconciled spec marked stable, as the Flink operator does).
 */
public final class TestingFlinkDeployments {

  private final String name;
  private String namespace = "default";
  private final Map<String, String> labels = new HashMap<>(Map.of("backpressure", "watched"));
  private final Map<String, String> config = new HashMap<>();
  private int parallelism = 2;
  private UpgradeMode upgradeMode = UpgradeMode.SAVEPOINT;
  private String jobId = "de524132b108fa35bad767da970d0c90";

  private TestingFlinkDeployments(String name) {
    this.name = name;
  }

  public static TestingFlinkDeployments running(String name) {
    return new TestingFlinkDeployments(name);
  }

  public TestingFlinkDeployments namespace(String ns) {
    this.namespace = ns;
    return this;
  }

  public TestingFlinkDeployments label(String k, String v) {
    labels.put(k, v);
    return this;
  }

  public TestingFlinkDeployments config(String k, String v) {
    config.put(k, v);
    return this;
  }

  public TestingFlinkDeployments parallelism(int p) {
    this.parallelism = p;
    return this;
  }

  public TestingFlinkDeployments upgradeMode(UpgradeMode mode) {
    this.upgradeMode = mode;
    return this;
  }

  public TestingFlinkDeployments jobId(String id) {
    this.jobId = id;
    return this;
  }

  /**
   * Creates the deployment and then writes its status, as the Flink operator would: the API server
   * ignores status on create when the CRD has a status subresource.
   */
  public FlinkDeployment createIn(KubernetesClient client) {
    FlinkDeployment fd = build();
    FlinkDeployment created = client.resource(fd).create();
    created.setStatus(fd.getStatus());
    return client.resource(created).updateStatus();
  }

  /** The same deployment as the operator's informer holds it: a generic object. */
  public GenericKubernetesResource buildGeneric() {
    return Serialization.unmarshal(Serialization.asJson(build()), GenericKubernetesResource.class);
  }

  public FlinkDeployment build() {
    FlinkDeployment fd = new FlinkDeployment();
    fd.setMetadata(
        new ObjectMetaBuilder().withName(name).withNamespace(namespace).withLabels(labels).build());
    FlinkDeploymentSpec spec = new FlinkDeploymentSpec();
    spec.setFlinkConfiguration(new HashMap<>(config));
    JobSpec job = new JobSpec();
    job.setParallelism(parallelism);
    job.setUpgradeMode(upgradeMode);
    job.setJarURI("local:///opt/flink/usrlib/job.jar");
    spec.setJob(job);
    fd.setSpec(spec);
    fd.setStatus(stableStatus(fd, jobId));
    return fd;
  }

  /** The status the Flink operator writes once a spec runs: RUNNING, and the spec marked stable. */
  public static FlinkDeploymentStatus stableStatus(FlinkDeployment fd, String jobId) {
    FlinkDeploymentStatus status = new FlinkDeploymentStatus();
    status.getJobStatus().setState(JobStatus.RUNNING);
    status.getJobStatus().setJobId(jobId);
    status.getJobStatus().setJobName(fd.getMetadata().getName());
    status.getReconciliationStatus().serializeAndSetLastReconciledSpec(fd.getSpec(), fd);
    status.getReconciliationStatus().markReconciledSpecAsStable();
    status.getReconciliationStatus().setState(ReconciliationState.DEPLOYED);
    return status;
  }

  /** The status while the Flink operator rolls out a new spec. */
  public static FlinkDeploymentStatus upgradingStatus(FlinkDeployment fd) {
    FlinkDeploymentStatus status = new FlinkDeploymentStatus();
    status.getJobStatus().setState(JobStatus.RECONCILING);
    status.getReconciliationStatus().serializeAndSetLastReconciledSpec(fd.getSpec(), fd);
    status.getReconciliationStatus().setState(ReconciliationState.UPGRADING);
    return status;
  }
}
