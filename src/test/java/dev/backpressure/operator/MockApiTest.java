package dev.backpressure.operator;

import dev.backpressure.testing.TestingClock;
import dev.backpressure.testing.TestingFlinkRestServer;
import dev.backpressure.testing.TestingFlinkRestServer.Fixture;
import dev.backpressure.testing.TestingKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The scene of the operator's tests: the mock Kubernetes API (CRUD mode, both CRDs created in it),
 * Flink REST answering what a real Flink 1.20.3 answered for a job with a compute bottleneck, and a
 * clock that moves only when told. A test sets the scene, then starts the operator.
 */
abstract class MockApiTest {

  static final Duration WAIT = Duration.ofSeconds(60);
  static final String OVERRIDES = "pipeline.jobvertex-parallelism-overrides";

  TestingKubernetes k8s;
  KubernetesClient client;
  TestingFlinkRestServer flink;
  TestingClock clock;
  OperatorRuntime.Running operator;

  @BeforeEach
  void startScene() throws Exception {
    k8s = TestingKubernetes.start();
    client = k8s.client();
    flink = TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"));
    clock = new TestingClock(Instant.parse("2026-03-02T10:00:00Z"));
  }

  @AfterEach
  void stopScene() {
    if (operator != null) {
      operator.close();
    }
    flink.close();
    k8s.close();
  }

  void startOperator() {
    operator = TestingOperator.start(client, clock);
  }

  FlinkDeployment deployment(String name) {
    return client.resources(FlinkDeployment.class).inNamespace("default").withName(name).get();
  }
}
