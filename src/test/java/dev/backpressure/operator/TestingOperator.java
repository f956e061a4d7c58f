package dev.backpressure.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * The operator as the tests run it: all namespaces, no leader election, no server-side apply (the
 * mock API does not speak it), two scrape threads and short Flink REST timeouts.
 */
final class TestingOperator {

  private TestingOperator() {}

  static OperatorRuntime.Running start(KubernetesClient client, Clock clock) {
    return start(client, clock, new SimpleMeterRegistry());
  }

  static OperatorRuntime.Running start(
      KubernetesClient client, Clock clock, SimpleMeterRegistry registry) {
    return new OperatorRuntime(
            client, Set.of(), Optional.empty(), false, registry, clock, 2, Duration.ofSeconds(2))
        .start();
  }
}
