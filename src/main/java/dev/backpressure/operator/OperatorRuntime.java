package dev.backpressure.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The operator assembled: JOSDK with our reconciler, its scrape pools and metrics. The command line
 * and the tests build it the same way; only the client and the settings differ.
 *
 * @param namespaces the namespaces to watch; empty for all
 * @param leaseNamespace where the leader-election Lease lives; empty to run without leader election
 * @param useServerSideApply JOSDK patches the policy status with server-side apply (true on a real
 *     cluster; the test API server does not speak it)
 */
public record OperatorRuntime(
    KubernetesClient client,
    Set<String> namespaces,
    Optional<String> leaseNamespace,
    boolean useServerSideApply,
    MeterRegistry registry,
    Clock clock,
    int scrapeThreads,
    Duration requestTimeout) {

  /** A started operator; close it to stop. */
  public static final class Running implements AutoCloseable {
    private final Operator operator;
    private final ExecutorService scrapes;
    private final ExecutorService requests;

    Running(Operator operator, ExecutorService scrapes, ExecutorService requests) {
      this.operator = operator;
      this.scrapes = scrapes;
      this.requests = requests;
    }

    public Operator operator() {
      return operator;
    }

    @Override
    public void close() {
      operator.stop();
      scrapes.shutdownNow();
      requests.shutdownNow();
    }
  }

  public Running start() {
    ExecutorService scrapes = Executors.newFixedThreadPool(scrapeThreads, named("scrape"));
    ExecutorService requests = Executors.newFixedThreadPool(scrapeThreads * 2, named("flink-rest"));
    Operator operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withCloseClientOnStop(false)
                  .withUseSSAToPatchPrimaryResource(useServerSideApply)
                  .withSSABasedCreateUpdateMatchForDependentResources(useServerSideApply)
                  .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry));
              leaseNamespace.ifPresent(
                  ns ->
                      o.withLeaderElectionConfiguration(
                          new LeaderElectionConfiguration("flink-backpressure-operator", ns)));
            });
    BackpressureReconciler reconciler =
        new BackpressureReconciler(
            clock, scrapes, requests, new OperatorMetrics(registry), requestTimeout);
    operator.register(
        reconciler,
        c -> {
          if (namespaces.isEmpty()) {
            c.watchingAllNamespaces();
          } else {
            c.settingNamespaces(namespaces);
          }
        });
    operator.start();
    return new Running(operator, scrapes, requests);
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
