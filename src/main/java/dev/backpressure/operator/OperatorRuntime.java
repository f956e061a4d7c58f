package dev.backpressure.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.monitoring.AggregatedMetrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator assembled: JOSDK with our reconciler, its scrape pools and metrics. The command line
 * and the tests build it the same way; only the client and the settings differ.
 *
 * @param namespaces the namespaces to watch; empty for all
 * @param lease the leader-election Lease; empty to run without leader election
 * @param scrape how Flink is read: threads, timeout, answer size, allowed hosts
 * @param shard the label selector of the policies this operator handles, when several operators
 *     share the namespaces (one shard each); empty for every policy
 */
public record OperatorRuntime(
    KubernetesClient client,
    Set<String> namespaces,
    Optional<Lease> lease,
    MeterRegistry registry,
    Clock clock,
    ScrapeSettings scrape,
    Optional<PolicyShard> shard) {

  /** An operator that handles every policy of its namespaces. */
  public OperatorRuntime(
      KubernetesClient client,
      Set<String> namespaces,
      Optional<Lease> lease,
      MeterRegistry registry,
      Clock clock,
      ScrapeSettings scrape) {
    this(client, namespaces, lease, registry, clock, scrape, Optional.empty());
  }

  /** The Lease's name when none is given; a release of the chart names it after itself. */
  public static final String LEASE_NAME = "flink-backpressure-operator";

  /**
   * The Lease the replicas of one installation elect their leader with. Two installations in one
   * namespace must name theirs apart, or one's leader would keep the other's replicas waiting.
   */
  public record Lease(String namespace, String name) {
    public static Lease in(String namespace) {
      return new Lease(namespace, LEASE_NAME);
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(OperatorRuntime.class);

  /** A started operator; close it to stop. */
  public static final class Running implements AutoCloseable {
    private final Operator operator;
    private final ScrapePools pools;
    private final AtomicBoolean closing;
    private final Liveness liveness;

    Running(Operator operator, ScrapePools pools, AtomicBoolean closing, Liveness liveness) {
      this.operator = operator;
      this.pools = pools;
      this.closing = closing;
      this.liveness = liveness;
    }

    public Operator operator() {
      return operator;
    }

    /**
     * What {@code /readyz} answers: started, and every informer healthy. A stand-by is ready too
     * (its informers run; only reconciling waits for the Lease), so that a rolling update can bring
     * up the new pod before the leader goes.
     */
    public boolean ready() {
      return operator.getRuntimeInfo().isStarted()
          && operator.getRuntimeInfo().allEventSourcesAreHealthy();
    }

    /**
     * Why {@code /healthz} fails, or empty: a reconcile or scrape stuck past every timeout (30
     * request timeouts, at least 15 minutes), or informers unhealthy for over a minute.
     */
    public Optional<String> problem() {
      return liveness.problem(operator.getRuntimeInfo().allEventSourcesAreHealthy());
    }

    @Override
    public void close() {
      closing.set(true);
      operator.stop();
      pools.close();
    }
  }

  /**
   * Starts the operator. Should another replica take the Lease while this one runs, the process
   * exits (the pod restarts as a stand-by): JOSDK would otherwise go on reconciling beside the new
   * leader.
   */
  public Running start() {
    return start(
        () -> {
          LOG.error("another replica holds the leader Lease now: exiting so that only it acts");
          // Not on the elector's thread: exiting runs the shutdown hook, which stops the elector.
          new Thread(() -> System.exit(1), "lost-lease").start();
        });
  }

  /**
   * Starts the operator.
   *
   * @param leadershipLost what to do when the Lease is lost while running (not when closed)
   */
  public Running start(Runnable leadershipLost) {
    AtomicBoolean closing = new AtomicBoolean();
    // Without leader election this replica is the only one; with it, it acts once elected.
    AtomicBoolean leading = new AtomicBoolean(lease.isEmpty());
    ScrapePools pools = ScrapePools.start(scrape.threads());
    OperatorMetrics metrics = new OperatorMetrics(registry);
    Operator operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withCloseClientOnStop(false)
                  // The reconciler writes the status itself (a whole update with optimistic
                  // locking) and has no dependents: JOSDK patches nothing, so one setting serves
                  // a cluster and the test API alike.
                  .withUseSSAToPatchPrimaryResource(false)
                  .withSSABasedCreateUpdateMatchForDependentResources(false)
                  .withMetrics(
                      new AggregatedMetrics(
                          List.of(
                              MicrometerMetrics.withoutPerResourceMetrics(registry),
                              metrics.forgettingDeletedPolicies())));
              lease.ifPresent(
                  l ->
                      o.withLeaderElectionConfiguration(
                          new LeaderElectionConfiguration(
                              l.name(),
                              l.namespace(),
                              LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
                              LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
                              LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE,
                              null,
                              new LeaderCallbacks(
                                  () -> leading.set(true),
                                  () -> {
                                    leading.set(false);
                                    if (!closing.get()) {
                                      leadershipLost.run();
                                    }
                                  },
                                  leader -> {}),
                              // JOSDK's own exit fires on every end of leading, a graceful stop
                              // included: status 1, from within the shutdown.
                              false)));
            });
    Liveness liveness = Liveness.forRequestTimeout(scrape.requestTimeout());
    BackpressureReconciler reconciler =
        new BackpressureReconciler(
            clock, pools, metrics, scrape, leading::get, liveness, shard.isPresent());
    operator.register(
        reconciler,
        c -> {
          if (namespaces.isEmpty()) {
            c.watchingAllNamespaces();
          } else {
            c.settingNamespaces(namespaces);
          }
          shard.ifPresent(s -> c.withLabelSelector(s.selector()));
        });
    operator.start();
    return new Running(operator, pools, closing, liveness);
  }
}
