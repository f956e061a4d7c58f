package dev.backpressure.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.backpressure.operator.FlinkDeploymentDocument;
import dev.backpressure.remediation.ParallelismOverrides;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Stands in for the Flink Kubernetes Operator, for one FlinkDeployment: each new spec is rolled out
 * to a real Flink the way the real operator does it (stop with a savepoint, start a new cluster
 * with the spec's configuration, restore the job), and the FlinkDeployment status follows
 * (UPGRADING → DEPLOYED → STABLE, job state and id). A new cluster per rollout plays the new pods;
 * it keeps the REST port, as the REST Service keeps its address. A spec that changes only
 * parallelism overrides of a job on the adaptive scheduler is applied in place instead, as the real
 * operator does from Flink 1.18: new resource requirements for the running job, a {@code Scaling}
 * event, the same job id, no savepoint. It reads the FlinkDeployment as any release of the Flink
 * operator writes it ({@code v2_x}, a nested configuration), and talks to Flink over REST only.
 */
public final class TestingFlinkOperator implements AutoCloseable {

  private static final Duration POLL = Duration.ofMillis(200);
  private static final String OVERRIDES = "pipeline.jobvertex-parallelism-overrides";
  private static final String IN_PLACE_SCALING =
      "kubernetes.operator.job.upgrade.inplace-scaling.enabled";
  private static final Set<String> ENDED = Set.of("FINISHED", "CANCELED", "FAILED");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final Supplier<TestingFlinkCluster.Builder> clusterShape;
  private final ScenarioJob job;
  private final FlinkRuntime runtime;
  private final int restPort;
  private final Consumer<String> narrator;
  private final Path savepoints;
  private final HttpClient http = HttpClient.newHttpClient();
  private final Thread loop;
  private volatile boolean stopped;

  private volatile FlinkRuntime.Cluster cluster;
  private volatile String jobId;
  private JsonNode deployed;
  private Map<String, String> deployedConfiguration = Map.of();
  private String lastSavepoint;
  private volatile int rollouts;
  private volatile boolean dropsParallelismOverrides;
  private volatile int inPlaceScalings;

  /**
   * @param clusterShape the TaskManagers and base configuration of every cluster it starts; the
   *     spec's {@code flinkConfiguration} is laid over it
   * @param job the job, built at the spec's {@code job.parallelism}
   * @param runtime the Flink release it deploys to
   * @param narrator told each step of a rollout, in words
   */
  public TestingFlinkOperator(
      KubernetesClient client,
      String namespace,
      String name,
      Supplier<TestingFlinkCluster.Builder> clusterShape,
      ScenarioJob job,
      FlinkRuntime runtime,
      int restPort,
      Consumer<String> narrator)
      throws Exception {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
    this.clusterShape = clusterShape;
    this.job = job;
    this.runtime = runtime;
    this.restPort = restPort;
    this.narrator = narrator;
    this.savepoints = Files.createTempDirectory("savepoints");
    this.loop = new Thread(this::run, "flink-operator-stand-in");
    loop.setDaemon(true);
    loop.start();
  }

  /** The job that runs now, once one does. */
  public Optional<String> jobId() {
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

  private Resource<GenericKubernetesResource> resource() {
    return client
        .genericKubernetesResources(
            FlinkDeploymentDocument.API_VERSION, FlinkDeploymentDocument.KIND)
        .inNamespace(namespace)
        .withName(name);
  }

  private void run() {
    while (!stopped) {
      try {
        GenericKubernetesResource fd = resource().get();
        if (fd != null && fd.get("spec") != null) {
          JsonNode spec = JSON.valueToTree(fd.get("spec"));
          if (!spec.equals(deployed)) {
            FlinkDeploymentDocument doc = FlinkDeploymentDocument.read(fd);
            if (!scalesInPlace(spec, doc) || !scaleInPlace(spec, doc, fd)) {
              rollOut(spec, doc, fd);
            }
          } else {
            observe();
          }
        }
        TimeUnit.MILLISECONDS.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        return;
      } catch (Exception | AssertionError e) {
        // A step that failed or timed out is tried again on the next poll, as the real one does.
        if (!stopped) {
          narrator.accept("flink-operator: " + e);
        }
      }
    }
  }

  private void rollOut(JsonNode spec, FlinkDeploymentDocument doc, GenericKubernetesResource fd)
      throws Exception {
    boolean first = deployed == null;
    String reconciled = reconciledSpec(spec, fd);
    writeStatus(
        s -> {
          reconciliation(s).put("lastReconciledSpec", reconciled).put("state", "UPGRADING");
          jobStatus(s).put("state", "RECONCILING");
        });
    if (cluster != null) {
      stopJob();
      cluster.close();
      cluster = null;
      jobId = null;
    }
    narrator.accept(
        "flink-operator: "
            + (first ? "deploying" : "upgrading")
            + " "
            + name
            + " on Flink "
            + runtime.version()
            + " (parallelism "
            + doc.jobParallelism()
            + ", "
            + doc.configuration()
            + ")"
            + (lastSavepoint == null ? "" : ", restoring the savepoint"));
    TestingFlinkCluster.Builder builder = clusterShape.get();
    builder.restPort(restPort);
    doc.configuration()
        .forEach(
            (key, value) -> {
              if (dropsParallelismOverrides && key.equals(OVERRIDES)) {
                narrator.accept("flink-operator: " + OVERRIDES + " dropped (FLINK-38770)");
              } else {
                builder.set(key, value);
              }
            });
    deployed = spec;
    deployedConfiguration = doc.configuration();
    rollouts++;
    try {
      cluster =
          runtime.start(
              builder, job, doc.jobParallelism(), name, Optional.ofNullable(lastSavepoint));
      jobId = cluster.jobId();
      if (stopped) {
        // Closed while this cluster started: close() has already looked for one to stop.
        cluster.close();
        return;
      }
    } catch (Exception e) {
      narrator.accept("flink-operator: the cluster did not start: " + e.getMessage());
      writeStatus(
          s -> {
            reconciliation(s).put("state", "DEPLOYED");
            jobStatus(s).put("state", "FAILED");
            s.put("error", String.valueOf(e.getMessage()));
          });
      return;
    }
    String id = jobId;
    writeStatus(
        s -> {
          reconciliation(s).put("state", "DEPLOYED");
          jobStatus(s).put("jobId", id).put("jobName", name).put("state", "CREATED");
          s.remove("error");
        });
  }

  /**
   * Whether the real operator would apply the spec in place: the running job is on the adaptive
   * scheduler, in-place scaling is not switched off, and the spec differs from the deployed one
   * only in overrides that it adds or changes (removing one is a full upgrade).
   */
  private boolean scalesInPlace(JsonNode spec, FlinkDeploymentDocument doc) {
    if (deployed == null || cluster == null || jobId == null) {
      return false;
    }
    Map<String, String> config = doc.configuration();
    if (!"adaptive".equals(config.get("jobmanager.scheduler"))
        || "false".equals(config.get(IN_PLACE_SCALING))) {
      return false;
    }
    String before = deployedConfiguration.get(OVERRIDES);
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
    return withoutOverrides(config).equals(withoutOverrides(deployedConfiguration))
        && withoutConfiguration(spec).equals(withoutConfiguration(deployed));
  }

  private static Map<String, String> withoutOverrides(Map<String, String> config) {
    Map<String, String> rest = new HashMap<>(config);
    rest.remove(OVERRIDES);
    return rest;
  }

  private static JsonNode withoutConfiguration(JsonNode spec) {
    ObjectNode copy = spec.deepCopy();
    copy.remove("flinkConfiguration");
    return copy;
  }

  /**
   * Sets the job's resource requirements to the new overrides (upper bound the target, lower bound
   * no higher than it) for the job's own vertices, as the real operator's in-place scaling does;
   * the adaptive scheduler rescales the running job. False when Flink refuses: then, as the real
   * operator, a full upgrade.
   */
  private boolean scaleInPlace(
      JsonNode spec, FlinkDeploymentDocument doc, GenericKubernetesResource fd) throws Exception {
    String overrides = doc.configuration().get(OVERRIDES);
    Map<String, Integer> target = ParallelismOverrides.parse(overrides);
    URI requirements = URI.create(restUrl() + "/jobs/" + jobId + "/resource-requirements");
    JsonNode current = JSON.readTree(send(HttpRequest.newBuilder(requirements).GET()).body());
    ObjectNode wanted = current.deepCopy();
    target.forEach(
        (vertex, p) -> {
          if (wanted.get(vertex) instanceof ObjectNode v) {
            int lower = current.path(vertex).path("parallelism").path("lowerBound").asInt(p);
            v.putObject("parallelism").put("lowerBound", Math.min(p, lower)).put("upperBound", p);
          }
        });
    HttpResponse<String> put =
        send(
            HttpRequest.newBuilder(requirements)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(wanted.toString())));
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
            + overrides
            + "): the same job, no savepoint");
    String reconciled = reconciledSpec(spec, fd);
    writeStatus(
        s -> reconciliation(s).put("lastReconciledSpec", reconciled).put("state", "DEPLOYED"));
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
                .withKind(FlinkDeploymentDocument.KIND)
                .withApiVersion(FlinkDeploymentDocument.API_VERSION)
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
    deployedConfiguration = doc.configuration();
    inPlaceScalings++;
    return true;
  }

  /**
   * Stops the job with a savepoint while it runs (REST {@code /jobs/:id/stop}); a job that is not
   * running, or whose savepoint fails, is cancelled and leaves the last savepoint. A Flink that
   * does not answer has nothing left to stop.
   */
  private void stopJob() throws Exception {
    if (jobId == null) {
      return;
    }
    String state;
    try {
      state = jobState();
    } catch (IllegalStateException e) {
      narrator.accept("flink-operator: " + e.getMessage() + "; no savepoint");
      return;
    }
    if ("RUNNING".equals(state) && stopWithSavepoint()) {
      return;
    }
    try {
      if (!ENDED.contains(jobState())) {
        send(
            HttpRequest.newBuilder(URI.create(restUrl() + "/jobs/" + jobId + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody()));
        Await.until("the job to end", this::jobState, ENDED::contains, Duration.ofSeconds(30));
      }
    } catch (IllegalStateException | AssertionError e) {
      narrator.accept("flink-operator: cancelling failed (" + e.getMessage() + ")");
    }
  }

  /** True when the job stopped with a savepoint, which the next cluster restores. */
  private boolean stopWithSavepoint() throws Exception {
    HttpResponse<String> stop =
        send(
            HttpRequest.newBuilder(URI.create(restUrl() + "/jobs/" + jobId + "/stop"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        JSON.createObjectNode()
                            .put("targetDirectory", savepoints.toString())
                            .put("drain", false)
                            .toString())));
    String trigger = JSON.readTree(stop.body()).path("request-id").asText("");
    if (stop.statusCode() != 202 || trigger.isEmpty()) {
      narrator.accept(
          "flink-operator: stop-with-savepoint refused (HTTP "
              + stop.statusCode()
              + "), cancelling");
      return false;
    }
    URI status = URI.create(restUrl() + "/jobs/" + jobId + "/savepoints/" + trigger);
    JsonNode operation;
    try {
      operation =
          Await.until(
              "the savepoint of " + name,
              () -> {
                try {
                  return JSON.readTree(send(HttpRequest.newBuilder(status).GET()).body());
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              s -> "COMPLETED".equals(s.path("status").path("id").asText()),
              Duration.ofSeconds(60));
    } catch (AssertionError e) {
      narrator.accept("flink-operator: the savepoint did not complete in 60 s, cancelling");
      return false;
    }
    String location = operation.path("operation").path("location").asText("");
    if (location.isEmpty()) {
      narrator.accept(
          "flink-operator: savepoint failed ("
              + operation
                  .path("operation")
                  .path("failure-cause")
                  .path("stack-trace")
                  .asText("")
                  .lines()
                  .findFirst()
                  .orElse("no reason given")
              + "), cancelling");
      return false;
    }
    lastSavepoint = location;
    narrator.accept("flink-operator: job stopped with a savepoint");
    return true;
  }

  /** The job's state as Flink's REST API reports it; fails when Flink cannot tell. */
  private String jobState() {
    HttpResponse<String> answer;
    try {
      answer = send(HttpRequest.newBuilder(URI.create(restUrl() + "/jobs/" + jobId)).GET());
    } catch (Exception e) {
      throw new IllegalStateException("Flink does not answer for job " + jobId + ": " + e, e);
    }
    if (answer.statusCode() != 200) {
      throw new IllegalStateException(
          "Flink answers HTTP " + answer.statusCode() + " for job " + jobId);
    }
    try {
      return JSON.readTree(answer.body()).path("state").asText("UNKNOWN");
    } catch (Exception e) {
      throw new IllegalStateException("Flink's answer for job " + jobId + " is not JSON", e);
    }
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(
        request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Follows the job's state into the status; RUNNING marks the rolled-out spec stable. */
  private void observe() throws Exception {
    if (cluster == null || jobId == null) {
      return;
    }
    String now = jobState();
    GenericKubernetesResource fd = resource().get();
    JsonNode status = JSON.valueToTree(fd.get("status"));
    if (now.equals(status.path("jobStatus").path("state").asText())
        && (stable(status) || !now.equals("RUNNING"))) {
      return;
    }
    writeStatus(
        s -> {
          jobStatus(s).put("state", now);
          if (now.equals("RUNNING")) {
            reconciliation(s).set("lastStableSpec", reconciliation(s).get("lastReconciledSpec"));
          }
        });
  }

  /**
   * The Flink operator's record of a spec it reconciled: a JSON text with the spec and the
   * resource's metadata, as it writes {@code lastReconciledSpec}.
   */
  private static String reconciledSpec(JsonNode spec, GenericKubernetesResource fd) {
    ObjectNode record = JSON.createObjectNode();
    record.set("spec", spec);
    ObjectNode metadata = record.putObject("resource_metadata");
    metadata.put("apiVersion", FlinkDeploymentDocument.API_VERSION);
    if (fd.getMetadata().getGeneration() != null) {
      metadata.putObject("metadata").put("generation", fd.getMetadata().getGeneration());
    }
    return record.toString();
  }

  private static boolean stable(JsonNode status) {
    JsonNode reconciliation = status.path("reconciliationStatus");
    return reconciliation.path("lastReconciledSpec").isTextual()
        && reconciliation.path("lastReconciledSpec").equals(reconciliation.path("lastStableSpec"));
  }

  /** {@code status.lifecycleState} as the Flink operator derives it from the rest of the status. */
  private static String lifecycle(JsonNode status) {
    JsonNode reconciliation = status.path("reconciliationStatus");
    if (!reconciliation.path("lastReconciledSpec").isTextual()) {
      return status.path("error").isTextual() ? "FAILED" : "CREATED";
    }
    String state = reconciliation.path("state").asText("");
    if (state.equals("UPGRADING") || state.equals("ROLLING_BACK")) {
      return state;
    }
    if ("FAILED".equals(status.path("jobStatus").path("state").asText())) {
      return "FAILED";
    }
    return stable(status) ? "STABLE" : "DEPLOYED";
  }

  private static ObjectNode reconciliation(ObjectNode status) {
    return status.has("reconciliationStatus")
        ? (ObjectNode) status.get("reconciliationStatus")
        : status.putObject("reconciliationStatus");
  }

  private static ObjectNode jobStatus(ObjectNode status) {
    return status.has("jobStatus")
        ? (ObjectNode) status.get("jobStatus")
        : status.putObject("jobStatus");
  }

  /** Read, change, write the status; a conflicting write is retried on the fresh object. */
  private void writeStatus(Consumer<ObjectNode> change) {
    for (int attempt = 0; ; attempt++) {
      GenericKubernetesResource fd = resource().get();
      ObjectNode status =
          fd.get("status") == null ? JSON.createObjectNode() : JSON.valueToTree(fd.get("status"));
      change.accept(status);
      status.put("lifecycleState", lifecycle(status));
      fd.setAdditionalProperty("status", JSON.convertValue(status, Map.class));
      try {
        client
            .genericKubernetesResources(
                FlinkDeploymentDocument.API_VERSION, FlinkDeploymentDocument.KIND)
            .inNamespace(namespace)
            .resource(fd)
            .updateStatus();
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt >= 10) {
          throw e;
        }
      }
    }
  }

  /** Flink's own view of the job's metrics is read through REST; this is its address. */
  public URI restUrl() {
    return URI.create("http://127.0.0.1:" + restPort);
  }

  /** The Flink release the jobs run on. */
  public String flinkVersion() {
    return runtime.version();
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
