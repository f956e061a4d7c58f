package dev.backpressure.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.backpressure.remediation.ParallelismOverrides;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
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
 * pods; it keeps the REST port, as the REST Service keeps its address. A spec that changes only
 * parallelism overrides of a job on the adaptive scheduler is applied in place instead, as the real
 * operator does from Flink 1.18: new resource requirements for the running job, a {@code Scaling}
 * event, the same job id, no savepoint.
 */
public final class TestingFlinkOperator implements AutoCloseable {

  private static final Duration POLL = Duration.ofMillis(200);
  private static final String OVERRIDES = "pipeline.jobvertex-parallelism-overrides";
  private static final String IN_PLACE_SCALING =
      "kubernetes.operator.job.upgrade.inplace-scaling.enabled";

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
  private volatile int inPlaceScalings;

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

  /** How many specs were applied to the running job in place. */
  public int inPlaceScalings() {
    return inPlaceScalings;
  }

  /** How many specs were rolled out with a new cluster (the first deployment counts). */
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
            if (!scalesInPlace(fd.getSpec()) || !scaleInPlace(fd)) {
              rollOut(fd);
            }
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

  /**
   * Whether the real operator would apply the spec in place: the running job is on the adaptive
   * scheduler, in-place scaling is not switched off, and the spec differs from the deployed one
   * only in overrides that it adds or changes (removing one is a full upgrade).
   */
  private boolean scalesInPlace(FlinkDeploymentSpec spec) {
    if (deployed == null || cluster == null || jobId == null) {
      return false;
    }
    Map<String, String> config = configuration(spec);
    if (!"adaptive".equals(config.get("jobmanager.scheduler"))
        || "false".equals(config.get(IN_PLACE_SCALING))) {
      return false;
    }
    String before = configuration(deployed).get(OVERRIDES);
    String after = config.get(OVERRIDES);
    if (after == null || after.equals(before)) {
      return false;
    }
    if (before != null
        && !ParallelismOverrides.parse(after)
            .keySet()
            .containsAll(ParallelismOverrides.parse(before).keySet())) {
      return false;
    }
    return withoutOverrides(spec).equals(withoutOverrides(deployed));
  }

  private static Map<String, String> configuration(FlinkDeploymentSpec spec) {
    return spec.getFlinkConfiguration() == null ? Map.of() : spec.getFlinkConfiguration();
  }

  private static JsonNode withoutOverrides(FlinkDeploymentSpec spec) {
    ObjectNode tree = Serialization.jsonMapper().valueToTree(spec);
    JsonNode config = tree.path("flinkConfiguration");
    if (config instanceof ObjectNode o) {
      o.remove(OVERRIDES);
    }
    return tree;
  }

  /**
   * Sets the job's resource requirements to the new overrides (upper bound the target, lower bound
   * no higher than it) for the job's own vertices, as the real operator's in-place scaling does;
   * the adaptive scheduler rescales the running job. False when Flink refuses: then, as the real
   * operator, a full upgrade.
   */
  private boolean scaleInPlace(FlinkDeployment fd) throws Exception {
    FlinkDeploymentSpec spec = fd.getSpec();
    Map<String, Integer> target = ParallelismOverrides.parse(configuration(spec).get(OVERRIDES));
    URI requirements = URI.create(cluster.restUrl() + "/jobs/" + jobId + "/resource-requirements");
    HttpClient http = HttpClient.newHttpClient();
    JsonNode current =
        Serialization.jsonMapper()
            .readTree(
                http.send(
                        HttpRequest.newBuilder(requirements).GET().build(),
                        HttpResponse.BodyHandlers.ofString())
                    .body());
    ObjectNode wanted = current.deepCopy();
    target.forEach(
        (vertex, p) -> {
          if (wanted.get(vertex) instanceof ObjectNode v) {
            int lower = current.path(vertex).path("parallelism").path("lowerBound").asInt(p);
            v.putObject("parallelism").put("lowerBound", Math.min(p, lower)).put("upperBound", p);
          }
        });
    HttpResponse<String> put =
        http.send(
            HttpRequest.newBuilder(requirements)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(wanted.toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (put.statusCode() != 200) {
      narrator.accept(
          "flink-operator: resource requirements refused (HTTP "
              + put.statusCode()
              + "), upgrading instead");
      return false;
    }
    narrator.accept(
        "flink-operator: scaling "
            + name
            + " in place ("
            + OVERRIDES
            + " "
            + configuration(spec).get(OVERRIDES)
            + "): the same job, no savepoint");
    writeStatus(
        s -> {
          s.getReconciliationStatus().serializeAndSetLastReconciledSpec(spec, fd);
          s.getReconciliationStatus().setState(ReconciliationState.DEPLOYED);
        });
    client
        .v1()
        .events()
        .inNamespace(namespace)
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withGenerateName(name + "-scaling-")
                .withNamespace(namespace)
                .endMetadata()
                .withNewInvolvedObject()
                .withKind("FlinkDeployment")
                .withApiVersion("flink.apache.org/v1beta1")
                .withName(name)
                .withNamespace(namespace)
                .withUid(fd.getMetadata().getUid())
                .endInvolvedObject()
                .withType("Normal")
                .withReason("Scaling")
                .withMessage("In-place scaling triggered")
                .build())
        .create();
    deployed = spec;
    inPlaceScalings++;
    return true;
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
