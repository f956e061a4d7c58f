package dev.backpressure.testing;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.apache.flink.kubernetes.operator.api.spec.FlinkDeploymentSpec;
import org.apache.flink.kubernetes.operator.api.status.FlinkDeploymentStatus;
import org.apache.flink.kubernetes.operator.api.status.ReconciliationState;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Stands in for the Flink Kubernetes Operator, for one FlinkDeployment: each new spec is rolled out
 * to a real Flink the way the real operator does it (stop with a savepoint, start a new cluster
 * with the spec's configuration, restore the job), and the FlinkDeployment status follows
 * (UPGRADING → DEPLOYED → STABLE, job state and id). A new MiniCluster per rollout plays the new
 * pods; it keeps the REST port, as the REST Service keeps its address.
 */
public final class TestingFlinkOperator implements AutoCloseable {

  private static final Duration POLL = Duration.ofMillis(200);
  private static final String OVERRIDES = "pipeline.jobvertex-parallelism-overrides";

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final Supplier<TestingFlinkCluster.Builder> clusterShape;
  private final BiFunction<StreamExecutionEnvironment, Integer, StreamExecutionEnvironment> job;
  private final int restPort;
  private final Consumer<String> narrator;
  private final Path savepoints;
  private final Thread loop;
  private volatile boolean stopped;

  private volatile TestingFlinkCluster cluster;
  private volatile JobID jobId;
  private FlinkDeploymentSpec deployed;
  private String lastSavepoint;
  private volatile int rollouts;
  private volatile boolean dropsParallelismOverrides;

  /**
   * @param clusterShape the TaskManagers and base configuration of every cluster it starts; the
   *     spec's {@code flinkConfiguration} is laid over it
   * @param job builds the job at the spec's {@code job.parallelism}
   * @param narrator told each step of a rollout, in words
   */
  public TestingFlinkOperator(
      KubernetesClient client,
      String namespace,
      String name,
      Supplier<TestingFlinkCluster.Builder> clusterShape,
      BiFunction<StreamExecutionEnvironment, Integer, StreamExecutionEnvironment> job,
      int restPort,
      Consumer<String> narrator)
      throws Exception {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
    this.clusterShape = clusterShape;
    this.job = job;
    this.restPort = restPort;
    this.narrator = narrator;
    this.savepoints = Files.createTempDirectory("savepoints");
    this.loop = new Thread(this::run, "flink-operator-stand-in");
    loop.setDaemon(true);
    loop.start();
  }

  /** The job that runs now, once one does. */
  public Optional<JobID> jobId() {
    return Optional.ofNullable(jobId);
  }

  /**
   * From now on, starts each job without the spec's {@code
   * pipeline.jobvertex-parallelism-overrides} yet reports the spec rolled out, as the Flink
   * operator does on Flink 2.x in application mode when FLINK-38770 strikes.
   */
  public void dropParallelismOverrides() {
    dropsParallelismOverrides = true;
  }

  /** How many specs were rolled out (the first deployment counts). */
  public int rollouts() {
    return rollouts;
  }

  private void run() {
    while (!stopped) {
      try {
        FlinkDeployment fd =
            client.resources(FlinkDeployment.class).inNamespace(namespace).withName(name).get();
        if (fd != null && fd.getSpec() != null) {
          if (!fd.getSpec().equals(deployed)) {
            rollOut(fd);
          } else {
            observe();
          }
        }
        TimeUnit.MILLISECONDS.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (!stopped) {
          narrator.accept("flink-operator: " + e);
        }
      }
    }
  }

  private void rollOut(FlinkDeployment fd) throws Exception {
    FlinkDeploymentSpec spec = fd.getSpec();
    boolean first = deployed == null;
    writeStatus(
        s -> {
          s.getReconciliationStatus().serializeAndSetLastReconciledSpec(spec, fd);
          s.getReconciliationStatus().setState(ReconciliationState.UPGRADING);
          s.getJobStatus().setState(JobStatus.RECONCILING);
        });
    if (cluster != null) {
      stopJob();
      cluster.close();
      cluster = null;
    }
    narrator.accept(
        "flink-operator: "
            + (first ? "deploying" : "upgrading")
            + " "
            + name
            + " (parallelism "
            + spec.getJob().getParallelism()
            + ", "
            + spec.getFlinkConfiguration()
            + ")"
            + (lastSavepoint == null ? "" : ", restoring the savepoint"));
    TestingFlinkCluster.Builder builder = clusterShape.get();
    builder.restPort(restPort);
    if (spec.getFlinkConfiguration() != null) {
      spec.getFlinkConfiguration()
          .forEach(
              (key, value) -> {
                if (dropsParallelismOverrides && key.equals(OVERRIDES)) {
                  narrator.accept("flink-operator: " + OVERRIDES + " dropped (FLINK-38770)");
                } else {
                  builder.set(key, value);
                }
              });
    }
    deployed = spec;
    rollouts++;
    try {
      cluster = builder.start();
      StreamExecutionEnvironment env =
          job.apply(
              StreamExecutionEnvironment.getExecutionEnvironment(), spec.getJob().getParallelism());
      jobId =
          cluster.submit(
              env,
              name,
              lastSavepoint == null
                  ? SavepointRestoreSettings.none()
                  : SavepointRestoreSettings.forPath(lastSavepoint, false));
    } catch (Exception e) {
      narrator.accept("flink-operator: the cluster did not start: " + e.getMessage());
      writeStatus(
          s -> {
            s.getReconciliationStatus().setState(ReconciliationState.DEPLOYED);
            s.getJobStatus().setState(JobStatus.FAILED);
            s.setError(String.valueOf(e.getMessage()));
          });
      return;
    }
    String id = jobId.toString();
    writeStatus(
        s -> {
          s.getReconciliationStatus().setState(ReconciliationState.DEPLOYED);
          s.getJobStatus().setJobId(id);
          s.getJobStatus().setJobName(name);
          s.getJobStatus().setState(JobStatus.CREATED);
          s.setError(null);
        });
  }

  /** Takes a savepoint while the job runs; a job that is not running leaves the last one. */
  private void stopJob() throws Exception {
    JobStatus status = cluster.miniCluster().getJobStatus(jobId).get(10, TimeUnit.SECONDS);
    if (status == JobStatus.RUNNING) {
      try {
        lastSavepoint =
            cluster
                .miniCluster()
                .stopWithSavepoint(
                    jobId, savepoints.toString(), false, SavepointFormatType.CANONICAL)
                .get(60, TimeUnit.SECONDS);
        narrator.accept("flink-operator: job stopped with a savepoint");
        return;
      } catch (Exception e) {
        narrator.accept("flink-operator: savepoint failed (" + e.getMessage() + "), cancelling");
      }
    }
    cluster.cancel(jobId);
  }

  /** Follows the job's state into the status; RUNNING marks the rolled-out spec stable. */
  private void observe() throws Exception {
    if (cluster == null || jobId == null) {
      return;
    }
    JobStatus now = cluster.miniCluster().getJobStatus(jobId).get(10, TimeUnit.SECONDS);
    FlinkDeployment fd =
        client.resources(FlinkDeployment.class).inNamespace(namespace).withName(name).get();
    FlinkDeploymentStatus status = fd.getStatus();
    boolean stable = status.getReconciliationStatus().isLastReconciledSpecStable();
    if (now.name().equals(String.valueOf(status.getJobStatus().getState()))
        && (stable || now != JobStatus.RUNNING)) {
      return;
    }
    writeStatus(
        s -> {
          s.getJobStatus().setState(now);
          if (now == JobStatus.RUNNING) {
            s.getReconciliationStatus().markReconciledSpecAsStable();
          }
        });
  }

  /** Read, change, write the status; a conflicting write is retried on the fresh object. */
  private void writeStatus(Consumer<FlinkDeploymentStatus> change) {
    for (int attempt = 0; ; attempt++) {
      FlinkDeployment fd =
          client.resources(FlinkDeployment.class).inNamespace(namespace).withName(name).get();
      FlinkDeploymentStatus status =
          fd.getStatus() == null ? new FlinkDeploymentStatus() : fd.getStatus();
      change.accept(status);
      fd.setStatus(status);
      try {
        client.resource(fd).updateStatus();
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt >= 10) {
          throw e;
        }
      }
    }
  }

  /** Flink's own view of the job's metrics is read through REST; this is its address. */
  public java.net.URI restUrl() {
    return java.net.URI.create("http://127.0.0.1:" + restPort);
  }

  /** The running cluster, if one is up. */
  public Optional<TestingFlinkCluster> cluster() {
    return Optional.ofNullable(cluster);
  }

  @Override
  public void close() throws Exception {
    stopped = true;
    loop.interrupt();
    loop.join(TimeUnit.SECONDS.toMillis(30));
    if (cluster != null) {
      cluster.close();
    }
  }
}
