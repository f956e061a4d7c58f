package dev.backpressure.cli;

import dev.backpressure.diagnosis.Durations;
import dev.backpressure.operator.FieldManager;
import dev.backpressure.operator.HealthServer;
import dev.backpressure.operator.OperatorRuntime;
import dev.backpressure.operator.PolicyShard;
import dev.backpressure.operator.RestAddresses;
import dev.backpressure.operator.ScrapeSettings;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code operator}: runs the operator against the cluster of the current kubeconfig or service
 * account. Every option can also come from the environment, as the Helm chart sets it.
 */
@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    description =
        "Runs the operator: watches RemediationPolicies and the FlinkDeployments they select.")
final class OperatorCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--namespaces",
      split = ",",
      defaultValue = "${env:WATCH_NAMESPACES:-}",
      description = "namespaces to watch, comma-separated; empty for all (env WATCH_NAMESPACES)")
  List<String> namespaces;

  @Option(
      names = "--leader-election-namespace",
      defaultValue = "${env:LEADER_ELECTION_NAMESPACE:-}",
      description =
          "namespace of the leader-election Lease; empty to run without (env LEADER_ELECTION_NAMESPACE)")
  String leaseNamespace;

  @Option(
      names = "--lease-name",
      defaultValue = "${env:LEASE_NAME:-" + OperatorRuntime.LEASE_NAME + "}",
      description =
          "name of the leader-election Lease, one per installation (env LEASE_NAME, default "
              + OperatorRuntime.LEASE_NAME
              + ")")
  String leaseName;

  @Option(
      names = "--policy-selector",
      defaultValue = "${env:POLICY_SELECTOR:-}",
      description =
          "label selector of the RemediationPolicies this operator handles, when several share the"
              + " namespaces (one shard each), e.g. shard=a; empty for every policy (env"
              + " POLICY_SELECTOR)")
  String policySelector;

  @Option(
      names = "--port",
      defaultValue = "${env:HTTP_PORT:-8080}",
      description = "port of /metrics, /healthz and /readyz (env HTTP_PORT, default 8080)")
  int port;

  @Option(
      names = "--log-level",
      defaultValue = "${env:LOG_LEVEL:-INFO}",
      description = "log level (env LOG_LEVEL, default INFO)")
  String logLevel;

  @Option(
      names = "--log-format",
      defaultValue = "${env:LOG_FORMAT:-text}",
      description =
          "text (one line per event) or json (one JSON object per line, Elastic's ECS fields, the"
              + " deployment's namespace, name and policy as fields of their own) (env LOG_FORMAT,"
              + " default text)")
  String logFormat;

  @Option(
      names = "--log-levels",
      defaultValue = "${env:LOG_LEVELS:-}",
      description =
          "levels of single loggers, comma-separated logger=LEVEL, e.g."
              + " dev.backpressure.audit=INFO,io.javaoperatorsdk=WARN (env LOG_LEVELS)")
  String logLevels;

  @Option(
      names = "--scrape-threads",
      defaultValue = "${env:SCRAPE_THREADS:-8}",
      description = "deployments scraped at once (env SCRAPE_THREADS, default 8)")
  int scrapeThreads;

  @Option(
      names = "--request-timeout",
      defaultValue = "${env:REQUEST_TIMEOUT:-10s}",
      description = "timeout of each Flink REST request (env REQUEST_TIMEOUT, default 10s)")
  String requestTimeout;

  @Option(
      names = "--max-answer",
      defaultValue = "${env:MAX_ANSWER:-8m}",
      description =
          "largest Flink REST answer read; a larger one is refused as it arrives (env MAX_ANSWER,"
              + " default 8m)")
  String maxAnswer;

  @Option(
      names = "--allowed-rest-hosts",
      defaultValue = "${env:ALLOWED_REST_HOSTS:-}",
      description =
          "hosts a policy's Flink REST address may name, comma-separated, each host or host:port"
              + " with {name} and {namespace} for the deployment's and a leading *. for"
              + " subdomains (env ALLOWED_REST_HOSTS; default: each deployment's own REST service,"
              + " {name}-rest.{namespace}.svc[.cluster.local])")
  String allowedRestHosts;

  @Override
  public Integer call() throws Exception {
    switch (logFormat.trim().toLowerCase(Locale.ROOT)) {
      case "text" -> {}
      case "json" ->
          Configurator.reconfigure(
              OperatorCommand.class.getResource("/backpressure-log4j2-json.properties").toURI());
      default ->
          throw new ParameterException(
              spec.commandLine(), "--log-format: '" + logFormat + "' is neither text nor json");
    }
    Configurator.setRootLevel(Level.toLevel(logLevel, Level.INFO));
    for (String entry : logLevels == null ? new String[0] : logLevels.split(",")) {
      String[] kv = entry.trim().split("=", 2);
      if (kv.length != 2
          || kv[0].isBlank()
          || Level.getLevel(kv[1].trim().toUpperCase(Locale.ROOT)) == null) {
        if (!entry.isBlank()) {
          throw new ParameterException(
              spec.commandLine(),
              "--log-levels: '"
                  + entry.trim()
                  + "' is not logger=LEVEL (TRACE, DEBUG, INFO, WARN, ERROR)");
        }
        continue;
      }
      Configurator.setLevel(kv[0].trim(), Level.getLevel(kv[1].trim().toUpperCase(Locale.ROOT)));
    }
    Set<String> watched = new LinkedHashSet<>();
    if (namespaces != null) {
      namespaces.stream().map(String::trim).filter(s -> !s.isEmpty()).forEach(watched::add);
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // The JVM and the process, as every JVM service on a platform dashboard shows them.
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    Optional<PolicyShard> shard = shard();
    KubernetesClient client = FieldManager.on(new KubernetesClientBuilder()).build();
    OperatorRuntime runtime =
        new OperatorRuntime(
            client,
            watched,
            Optional.ofNullable(leaseNamespace)
                .filter(s -> !s.isBlank())
                .map(ns -> new OperatorRuntime.Lease(ns, leaseName)),
            registry,
            Clock.systemUTC(),
            new ScrapeSettings(
                scrapeThreads,
                Durations.parse(requestTimeout, "--request-timeout"),
                AnswerLimit.parse(maxAnswer, "--max-answer"),
                allowedHosts()),
            shard);
    OperatorRuntime.Running running = runtime.start();
    HealthServer http = new HealthServer(port, registry, running::ready, running::problem);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  http.close();
                  running.close();
                  client.close();
                  stopped.countDown();
                },
                "shutdown"));
    System.err.println(
        "operator started; watching "
            + (watched.isEmpty() ? "all namespaces" : String.join(", ", watched))
            + shard.map(s -> ", policies matching " + s.selector()).orElse("")
            + "; metrics and health on :"
            + http.port());
    stopped.await();
    return 0;
  }

  private Optional<PolicyShard> shard() {
    if (policySelector == null || policySelector.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(PolicyShard.parse(policySelector, "--policy-selector"));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private RestAddresses allowedHosts() {
    if (allowedRestHosts == null || allowedRestHosts.isBlank()) {
      return RestAddresses.DEFAULT;
    }
    try {
      return RestAddresses.parse(allowedRestHosts);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--allowed-rest-hosts: " + e.getMessage());
    }
  }
}
