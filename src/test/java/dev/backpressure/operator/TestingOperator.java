package dev.backpressure.operator;

import dev.backpressure.flink.rest.FlinkRestClient;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * The operator as the tests run it: all namespaces, no leader election unless asked, two scrape
 * threads, short Flink REST timeouts, and Flink on the loopback address only.
 */
final class TestingOperator {

  /** The test Flinks listen on the loopback address; nothing else is allowed. */
  static final ScrapeSettings SCRAPE =
      new ScrapeSettings(
          2,
          Duration.ofSeconds(2),
          FlinkRestClient.DEFAULT_MAX_ANSWER_BYTES,
          RestAddresses.parse("127.0.0.1"));

  private TestingOperator() {}

  static OperatorRuntime.Running start(KubernetesClient client, Clock clock) {
    return start(client, clock, new SimpleMeterRegistry());
  }

  static OperatorRuntime.Running start(
      KubernetesClient client, Clock clock, SimpleMeterRegistry registry) {
    return start(client, clock, registry, Optional.empty(), () -> {});
  }

  /**
   * With leader election through a Lease in this namespace, when one is given; losing the Lease
   * runs {@code leadershipLost} instead of exiting the test's JVM.
   */
  static OperatorRuntime.Running start(
      KubernetesClient client,
      Clock clock,
      SimpleMeterRegistry registry,
      Optional<String> leaseNamespace,
      Runnable leadershipLost) {
    return new OperatorRuntime(
            client,
            Set.of(),
            leaseNamespace.map(OperatorRuntime.Lease::in),
            registry,
            clock,
            SCRAPE)
        .start(leadershipLost);
  }
}
