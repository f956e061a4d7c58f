package dev.backpressure.playground;

import dev.backpressure.api.DeploymentReport;
import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.operator.OperatorRuntime;
import dev.backpressure.testing.TestingApiGateway;
import dev.backpressure.testing.TestingFlinkOperator;
import dev.backpressure.testing.TestingKubernetes;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.apache.flink.kubernetes.operator.api.spec.FlinkDeploymentSpec;
import org.apache.flink.kubernetes.operator.api.spec.JobSpec;
import org.apache.flink.kubernetes.operator.api.spec.UpgradeMode;

/**
 * Everything the playground and the end-to-end tests run in one process: the Kubernetes API, a
 * stand-in Flink operator with a real Flink behind it, one FlinkDeployment, one policy, and this
 * operator, started exactly as the {@code operator} command starts it.
 */
final class PlaygroundStack implements AutoCloseable {

  static final String NAMESPACE = "default";
  static final String DEPLOYMENT = "orders";
  static final String POLICY = "auto-fix";

  final PlaygroundScenario scenario;
  final TestingKubernetes k8s;
  final KubernetesClient client;
  final TestingFlinkOperator flink;
  final TestingApiGateway gateway;
  final Path kubeconfig;
  private OperatorRuntime.Running operator;

  private PlaygroundStack(
      PlaygroundScenario scenario,
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
      PlaygroundScenario scenario, RemediationPolicySpec.Mode mode, Consumer<String> narrator)
      throws Exception {
    TestingKubernetes k8s = TestingKubernetes.start();
    int port = freePort();
    FlinkDeployment fd = deployment(scenario);
    k8s.client().resource(fd).create();
    TestingFlinkOperator flink =
        new TestingFlinkOperator(
            k8s.client(), NAMESPACE, DEPLOYMENT, scenario.cluster, scenario.job, port, narrator);
    TestingApiGateway gateway = TestingApiGateway.start(k8s.client());
    Path kubeconfig = gateway.writeKubeconfig(Files.createTempDirectory("playground"));
    PlaygroundStack stack = new PlaygroundStack(scenario, k8s, flink, gateway, kubeconfig);
    RemediationPolicy policy = new RemediationPolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName(POLICY).withNamespace(NAMESPACE).build());
    policy.setSpec(PlaygroundScenario.policy(mode, flink.restUrl().toString()));
    k8s.client().resource(policy).create();
    return stack;
  }

  private static FlinkDeployment deployment(PlaygroundScenario scenario) {
    FlinkDeployment fd = new FlinkDeployment();
    fd.setMetadata(
        new ObjectMetaBuilder()
            .withName(DEPLOYMENT)
            .withNamespace(NAMESPACE)
            .withLabels(Map.of("backpressure", "auto-fix"))
            .build());
    FlinkDeploymentSpec spec = new FlinkDeploymentSpec();
    spec.setFlinkVersion(org.apache.flink.kubernetes.operator.api.spec.FlinkVersion.v1_20);
    spec.setFlinkConfiguration(new HashMap<>(scenario.flinkConfiguration));
    JobSpec job = new JobSpec();
    job.setJarURI("local:///opt/flink/usrlib/orders.jar");
    job.setParallelism(scenario.parallelism);
    job.setUpgradeMode(UpgradeMode.SAVEPOINT);
    spec.setJob(job);
    fd.setSpec(spec);
    return fd;
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
                2,
                Duration.ofSeconds(5))
            .start();
  }

  void stopOperator() {
    if (operator != null) {
      operator.close();
      operator = null;
    }
  }

  FlinkDeployment deployment() {
    return client
        .resources(FlinkDeployment.class)
        .inNamespace(NAMESPACE)
        .withName(DEPLOYMENT)
        .get();
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

  String flinkConfiguration(String key) {
    Map<String, String> c = deployment().getSpec().getFlinkConfiguration();
    return c == null ? null : c.get(key);
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
