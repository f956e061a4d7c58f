package dev.backpressure.playground;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.backpressure.api.DeploymentReport;
import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.operator.FlinkDeploymentDocument;
import dev.backpressure.operator.OperatorRuntime;
import dev.backpressure.operator.RestAddresses;
import dev.backpressure.operator.ScrapeSettings;
import dev.backpressure.testing.FlinkRuntime;
import dev.backpressure.testing.Scenario;
import dev.backpressure.testing.TestingApiGateway;
import dev.backpressure.testing.TestingFlinkOperator;
import dev.backpressure.testing.TestingKubernetes;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Everything the playground and the end-to-end tests run in one process: the Kubernetes API, a
 * stand-in Flink operator with a real Flink behind it, one FlinkDeployment, one policy, and this
 * operator, started exactly as the {@code operator} command starts it.
 */
final class PlaygroundStack implements AutoCloseable {

  static final String NAMESPACE = "default";
  static final String DEPLOYMENT = "orders";
  static final String POLICY = "auto-fix";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  final Scenario scenario;
  final TestingKubernetes k8s;
  final KubernetesClient client;
  final TestingFlinkOperator flink;
  final TestingApiGateway gateway;
  final Path kubeconfig;
  private OperatorRuntime.Running operator;

  private PlaygroundStack(
      Scenario scenario,
      TestingKubernetes k8s,
      TestingFlinkOperator flink,
      TestingApiGateway gateway,
      Path kubeconfig) {
    this.scenario = scenario;
    this.k8s = k8s;
    this.client = k8s.client();
    this.flink = flink;
    this.gateway = gateway;
    this.kubeconfig = kubeconfig;
  }

  /** Starts the API, deploys the scenario's job through the stand-in, and applies the policy. */
  static PlaygroundStack start(
      Scenario scenario,
      RemediationPolicySpec.Mode mode,
      FlinkRuntime runtime,
      Consumer<String> narrator)
      throws Exception {
    TestingKubernetes k8s = TestingKubernetes.start();
    int port = freePort();
    k8s.client()
        .genericKubernetesResources(
            FlinkDeploymentDocument.API_VERSION, FlinkDeploymentDocument.KIND)
        .inNamespace(NAMESPACE)
        .resource(deployment(scenario, runtime.version()))
        .create();
    TestingFlinkOperator flink =
        new TestingFlinkOperator(
            k8s.client(),
            NAMESPACE,
            DEPLOYMENT,
            scenario::clusterShape,
            scenario.deployment().orElseThrow().job(),
            runtime,
            port,
            narrator);
    TestingApiGateway gateway = TestingApiGateway.start(k8s.client());
    Path kubeconfig = gateway.writeKubeconfig(Files.createTempDirectory("playground"));
    PlaygroundStack stack = new PlaygroundStack(scenario, k8s, flink, gateway, kubeconfig);
    RemediationPolicy policy = new RemediationPolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName(POLICY).withNamespace(NAMESPACE).build());
    policy.setSpec(policy(mode, flink.restUrl().toString()));
    k8s.client().resource(policy).create();
    return stack;
  }

  /**
   * The FlinkDeployment as its owner would write it for the Flink release: for Flink 1.x flat
   * configuration keys, as every Flink operator release takes them; for Flink 2.x the structured
   * YAML that operator 1.13 and later accept, with {@code flinkVersion} {@code v2_x}.
   */
  static GenericKubernetesResource deployment(Scenario scenario, String flinkVersion) {
    String[] version = flinkVersion.split("\\.");
    boolean nested = !version[0].equals("1");
    ObjectNode config = JSON.createObjectNode();
    if (nested) {
      config.putObject("pipeline").put("name", DEPLOYMENT);
    }
    Scenario.Deployment deployed = scenario.deployment().orElseThrow();
    new TreeMap<>(deployed.flinkConfiguration())
        .forEach(
            (key, value) -> {
              ObjectNode at = config;
              String[] segments = nested ? key.split("\\.") : new String[] {key};
              for (int i = 0; i < segments.length - 1; i++) {
                at =
                    at.has(segments[i])
                        ? (ObjectNode) at.get(segments[i])
                        : at.putObject(segments[i]);
              }
              at.put(segments[segments.length - 1], value);
            });
    ObjectNode fd = JSON.createObjectNode();
    fd.put("apiVersion", FlinkDeploymentDocument.API_VERSION)
        .put("kind", FlinkDeploymentDocument.KIND);
    fd.putObject("metadata")
        .put("name", DEPLOYMENT)
        .put("namespace", NAMESPACE)
        .putObject("labels")
        .put("backpressure", "auto-fix");
    ObjectNode spec = fd.putObject("spec");
    spec.put("flinkVersion", "v" + version[0] + "_" + version[1]);
    spec.set("flinkConfiguration", config);
    spec.putObject("job")
        .put("jarURI", "local:///opt/flink/usrlib/orders.jar")
        .put("parallelism", deployed.parallelism())
        .put("upgradeMode", "savepoint");
    return JSON.convertValue(fd, GenericKubernetesResource.class);
  }

  /**
   * The policy the playground applies: the enforcing example's limits, with times cut down to fit a
   * demo. The verification window stays above a minute because Flink's throughput meters average
   * over one.
   */
  static RemediationPolicySpec policy(RemediationPolicySpec.Mode mode, String restUrl) {
    RemediationPolicySpec spec = new RemediationPolicySpec();
    spec.selector =
        new io.fabric8.kubernetes.api.model.LabelSelectorBuilder()
            .withMatchLabels(Map.of("backpressure", "auto-fix"))
            .build();
    spec.mode = mode;
    spec.scrapeInterval = "2s";
    spec.restUrlTemplate = restUrl;
    spec.detection.sustainSamples = 3;
    spec.detection.sustainDuration = "8s";
    spec.detection.windowSize = 5;
    spec.remedies.maxParallelism = 4;
    spec.remedies.maxStepFactor = 2.0;
    spec.remedies.maxNetworkMemory = "256m";
    spec.guard.cooldown = "1m";
    spec.guard.stabilizationTimeout = "1m";
    spec.guard.verificationWindow = "65s";
    spec.guard.barFor = "1h";
    return spec;
  }

  /** Starts this operator against the API (again, after {@link #stopOperator()}). */
  void startOperator() {
    operator =
        new OperatorRuntime(
                client,
                Set.of(NAMESPACE),
                Optional.empty(),
                new SimpleMeterRegistry(),
                Clock.systemUTC(),
                ScrapeSettings.DEFAULTS
                    .withThreads(2)
                    .withRequestTimeout(Duration.ofSeconds(5))
                    .withAddresses(RestAddresses.parse("127.0.0.1")))
            .start();
  }

  void stopOperator() {
    if (operator != null) {
      operator.close();
      operator = null;
    }
  }

  /** The FlinkDeployment as this operator reads it. */
  FlinkDeploymentDocument deployment() throws FlinkDeploymentDocument.Unreadable {
    return FlinkDeploymentDocument.read(
        client
            .genericKubernetesResources(
                FlinkDeploymentDocument.API_VERSION, FlinkDeploymentDocument.KIND)
            .inNamespace(NAMESPACE)
            .withName(DEPLOYMENT)
            .get());
  }

  /** {@code spec} as it is stored. */
  JsonNode spec() throws FlinkDeploymentDocument.Unreadable {
    return JSON.valueToTree(deployment().resource().get("spec"));
  }

  RemediationPolicy policy() {
    return client.resources(RemediationPolicy.class).inNamespace(NAMESPACE).withName(POLICY).get();
  }

  Optional<DeploymentReport> report() {
    RemediationPolicy p = policy();
    if (p == null || p.getStatus() == null) {
      return Optional.empty();
    }
    return p.getStatus().deployments.stream().filter(d -> DEPLOYMENT.equals(d.name)).findFirst();
  }

  List<Event> events() {
    return client.v1().events().inNamespace(NAMESPACE).list().getItems();
  }

  /** The events with this reason on the FlinkDeployment (the policy gets its own copy). */
  List<Event> events(String reason) {
    return events().stream()
        .filter(e -> reason.equals(e.getReason()))
        .filter(e -> "FlinkDeployment".equals(e.getInvolvedObject().getKind()))
        .toList();
  }

  /** A key of {@code spec.flinkConfiguration}, flat or nested. */
  String flinkConfiguration(String key) throws FlinkDeploymentDocument.Unreadable {
    return deployment().configuration().get(key);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws Exception {
    stopOperator();
    gateway.close();
    flink.close();
    k8s.close();
  }
}
