package dev.backpressure.bench;

import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.flink.TaskManagerMetric;
import dev.backpressure.flink.VertexMetric;
import dev.backpressure.operator.OperatorRuntime;
import dev.backpressure.operator.PolicyShard;
import dev.backpressure.operator.RestAddresses;
import dev.backpressure.operator.ScrapeSettings;
import dev.backpressure.testing.TestingFlinkDeployments;
import dev.backpressure.testing.TestingFlinkRestServer;
import dev.backpressure.testing.TestingFlinkRestServer.Exchange;
import dev.backpressure.testing.TestingKubernetes;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;

/**
 * The operator at scale: FlinkDeployments of a 10-vertex job on the mock Kubernetes API (2,000 by
 * default), Flink REST answered from a loopback server in Flink 1.20's shapes. Prints the time of a
 * full scrape + decide cycle, the HTTP requests per job, the CPU seconds and the heap. With one
 * shard, one operator handles one policy over all of them; with two, two policies each select half
 * and the operator handles shard a's only, as each of two releases would (the other half is another
 * process's work, so this JVM's figures are one replica's). The JVM is told it has one processor;
 * to hold the whole process (the test API and the Flink stand-in too) to one core: {@code taskset
 * -c 0 ./mvnw -q test-compile exec:exec@scale-benchmark [-Dscale.deployments=2000]
 * [-Dscale.shards=2]}.
 */
public final class OperatorScaleBenchmark {

  private static final int VERTICES = 10;
  static final String JOB = "00000000000000000000000000000b1e";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Held so that its level sticks. */
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  private OperatorScaleBenchmark() {}

  /**
   * CPU time of the operator's own threads (scrapes, Flink REST requests, reconciles, the HTTP
   * client), leaving out the mock API and the Flink stand-in that share the JVM.
   */
  private static double operatorCpuSeconds() {
    var threads = ManagementFactory.getThreadMXBean();
    long ns = 0;
    for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info == null) {
        continue;
      }
      String n = info.getThreadName();
      if (n.startsWith("scrape-")
          || n.startsWith("flink-rest-")
          || n.startsWith("ReconcilerExecutor")
          || n.startsWith("HttpClient")) {
        long t = threads.getThreadCpuTime(info.getThreadId());
        ns += Math.max(0, t);
      }
    }
    return ns / 1e9;
  }

  public static void main(String[] args) throws Exception {
    int deployments = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int shards = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    if (shards != 1 && shards != 2) {
      throw new IllegalArgumentException("shards is 1 or 2, not " + shards);
    }
    int handled = shards == 1 ? deployments : (deployments + 1) / 2;
    String policyName = shards == 1 ? "all" : "half-a";
    // The mock API logs every request through java.util.logging: silence it, it is not the
    // operator.
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    System.out.printf(
        Locale.ROOT,
        "cores visible: %d, max heap: %d MiB; %d deployments, %d shard%s: this operator handles"
            + " %d%n",
        Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20,
        deployments,
        shards,
        shards == 1 ? "" : "s",
        handled);
    try (TestingKubernetes k8s = TestingKubernetes.start();
        TestingFlinkRestServer flink =
            TestingFlinkRestServer.replaying(
                new TestingFlinkRestServer.Fixture("1.20.3", "scale", JOB, exchanges(VERTICES)))) {
      KubernetesClient client = k8s.client();
      for (int i = 0; i < deployments; i++) {
        FlinkDeployment fd =
            TestingFlinkDeployments.running("job-" + i)
                .jobId(JOB)
                .label("half", i % 2 == 0 ? "a" : "b")
                .build();
        FlinkDeployment created = client.resource(fd).create();
        created.setStatus(fd.getStatus());
        client.resource(created).updateStatus();
      }
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      try (OperatorRuntime.Running operator =
          new OperatorRuntime(
                  client,
                  Set.of(),
                  Optional.empty(),
                  registry,
                  Clock.systemUTC(),
                  ScrapeSettings.DEFAULTS.withAddresses(RestAddresses.parse("127.0.0.1")),
                  shards == 1
                      ? Optional.empty()
                      : Optional.of(PolicyShard.parse("shard=a", "shard")))
              .start()) {
        if (shards == 1) {
          policy(client, "all", Map.of(), "backpressure", "watched", flink.url().toString());
        } else {
          policy(client, "half-a", Map.of("shard", "a"), "half", "a", flink.url().toString());
          policy(client, "half-b", Map.of("shard", "b"), "half", "b", flink.url().toString());
        }

        var os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int cycle = 1; cycle <= 3; cycle++) {
          // A cycle is one pass: from the pass's first request to Flink until the policy status
          // holds a diagnosis from this pass for every deployment.
          int requestsBefore = flink.requestCount();
          long scrapesBefore = scrapes(registry);
          Map<String, Double> failedBefore = failures(registry);
          Instant previousPassEnded = Instant.now();
          while (flink.requestCount() == requestsBefore) {
            TimeUnit.MILLISECONDS.sleep(5);
          }
          long start = System.nanoTime();
          long cpuBefore = os.getProcessCpuTime();
          double operatorCpuBefore = operatorCpuSeconds();
          while (scrapes(registry) + failed(registry) - scrapesBefore - sum(failedBefore)
              < handled) {
            TimeUnit.MILLISECONDS.sleep(5);
          }
          double scrapeSeconds = (System.nanoTime() - start) / 1e9;
          // A failed scrape keeps its deployment's older diagnosis: give up waiting after a minute.
          long giveUp = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
          boolean reported;
          while (!(reported = reportedSince(client, policyName, handled, previousPassEnded))
              && System.nanoTime() < giveUp) {
            TimeUnit.MILLISECONDS.sleep(50);
          }
          double cycleSeconds = (System.nanoTime() - start) / 1e9;
          double cpu = (os.getProcessCpuTime() - cpuBefore) / 1e9;
          double operatorCpu = operatorCpuSeconds() - operatorCpuBefore;
          Map<String, Double> failedNow = failures(registry);
          failedNow.replaceAll((reason, n) -> n - failedBefore.getOrDefault(reason, 0.0));
          failedNow.values().removeIf(n -> n == 0);
          System.gc();
          long heap = memory.getHeapMemoryUsage().getUsed() >> 20;
          System.out.printf(
              Locale.ROOT,
              "cycle %d: %d deployments scraped in %.2f s, scrape + decide + status %s, %.1f HTTP requests per job,"
                  + " CPU %.2f s in the operator's threads (%.2f s in the whole JVM with the mock API and the Flink"
                  + " stand-in), heap after GC %d MiB, failed scrapes %s%n",
              cycle,
              handled,
              scrapeSeconds,
              reported
                  ? String.format(Locale.ROOT, "%.2f s", cycleSeconds)
                  : "not all in the status after a minute",
              (flink.requestCount() - requestsBefore) / (double) handled,
              operatorCpu,
              cpu,
              heap,
              failedNow.isEmpty() ? "none" : failedNow);
        }
      }
    }
    System.exit(0);
  }

  private static void policy(
      KubernetesClient client,
      String name,
      Map<String, String> labels,
      String selectsKey,
      String selectsValue,
      String restUrl) {
    RemediationPolicy p = new RemediationPolicy();
    p.setMetadata(
        new ObjectMetaBuilder().withName(name).withNamespace("default").withLabels(labels).build());
    p.setSpec(new RemediationPolicySpec());
    p.getSpec().selector =
        new LabelSelectorBuilder().withMatchLabels(Map.of(selectsKey, selectsValue)).build();
    p.getSpec().scrapeInterval = "30s";
    p.getSpec().restUrlTemplate = restUrl;
    client.resource(p).create();
  }

  /** Whether the policy status reports every deployment with a diagnosis taken after a time. */
  private static boolean reportedSince(
      KubernetesClient client, String policy, int deployments, Instant since) {
    RemediationPolicy now =
        client.resources(RemediationPolicy.class).inNamespace("default").withName(policy).get();
    return now.getStatus() != null
        && now.getStatus().deployments.size() == deployments
        && now.getStatus().deployments.stream()
            .allMatch(
                d -> d.lastDiagnosis != null && Instant.parse(d.lastDiagnosis.time).isAfter(since));
  }

  /** Failed scrapes by reason. */
  private static Map<String, Double> failures(SimpleMeterRegistry registry) {
    Map<String, Double> out = new java.util.TreeMap<>();
    registry.find("backpressure.scrape.failures").counters().stream()
        .filter(c -> c.count() > 0)
        .forEach(c -> out.merge(c.getId().getTag("reason"), c.count(), Double::sum));
    return out;
  }

  private static long failed(SimpleMeterRegistry registry) {
    return (long) sum(failures(registry));
  }

  private static double sum(Map<String, Double> m) {
    return m.values().stream().mapToDouble(Double::doubleValue).sum();
  }

  private static long scrapes(SimpleMeterRegistry registry) {
    Timer t = registry.find("backpressure.scrape.duration").timer();
    return t == null ? 0 : t.count();
  }

  /** Answers for a pipeline of this many vertices whose 7th vertex is a compute bottleneck. */
  static List<Exchange> exchanges(int vertexCount) throws Exception {
    List<Exchange> out = new ArrayList<>();
    StringBuilder vertices = new StringBuilder();
    StringBuilder nodes = new StringBuilder();
    for (int index = 0; index < vertexCount; index++) {
      final int i = index;
      String id = String.format("%032x", i + 1);
      vertices
          .append(i == 0 ? "" : ",")
          .append("{\"id\":\"")
          .append(id)
          .append("\",\"name\":\"vertex-")
          .append(i)
          .append("\",\"maxParallelism\":128,\"parallelism\":4,\"status\":\"RUNNING\"}");
      nodes
          .append(i == 0 ? "" : ",")
          .append("{\"id\":\"")
          .append(id)
          .append("\",\"parallelism\":4")
          .append(
              i == 0
                  ? ""
                  : ",\"inputs\":[{\"num\":0,\"id\":\""
                      + String.format("%032x", i)
                      + "\",\"ship_strategy\":\"REBALANCE\",\"exchange\":\"pipelined_bounded\"}]")
          .append("}");
      String metrics =
          java.util.Arrays.stream(VertexMetric.values())
              .map(
                  m -> {
                    double v =
                        switch (m) {
                          case BACK_PRESSURED -> i < 6 ? 900 : 0;
                          case BUSY -> i == 6 ? 990 : 100;
                          case IDLE -> i == 6 ? 10 : 0;
                          case OUT_POOL_USAGE -> i < 6 ? 1.0 : 0.1;
                          default -> 1000;
                        };
                    return "{\"id\":\""
                        + m.flinkName()
                        + "\",\"min\":"
                        + v
                        + ",\"max\":"
                        + v
                        + ",\"avg\":"
                        + v
                        + ",\"sum\":"
                        + (4 * v)
                        + "}";
                  })
              .collect(Collectors.joining(",", "[", "]"));
      out.add(
          new Exchange(
              "/jobs/" + JOB + "/vertices/" + id + "/subtasks/metrics",
              200,
              JSON.readTree(metrics)));
    }
    out.add(
        new Exchange(
            "/jobs/" + JOB,
            200,
            JSON.readTree(
                "{\"jid\":\""
                    + JOB
                    + "\",\"name\":\"scale\",\"state\":\"RUNNING\",\"vertices\":["
                    + vertices
                    + "],\"plan\":{\"nodes\":["
                    + nodes
                    + "]}}")));
    out.add(new Exchange("/config", 200, JSON.readTree("{\"flink-version\":\"1.20.3\"}")));
    out.add(
        new Exchange(
            "/jobmanager/config",
            200,
            JSON.readTree("[{\"key\":\"taskmanager.memory.process.size\",\"value\":\"4g\"}]")));
    out.add(
        new Exchange(
            "/jobs/" + JOB + "/config",
            200,
            JSON.readTree("{\"execution-config\":{\"job-parallelism\":4}}")));
    out.add(
        new Exchange(
            "/jobs/" + JOB + "/exceptions",
            200,
            JSON.readTree("{\"exceptionHistory\":{\"entries\":[]}}")));
    String tm =
        java.util.Arrays.stream(TaskManagerMetric.values())
            .map(
                m ->
                    "{\"id\":\""
                        + m.flinkName()
                        + "\",\"min\":100,\"max\":100,\"avg\":100,\"sum\":200}")
            .collect(Collectors.joining(",", "[", "]"));
    out.add(new Exchange("/taskmanagers/metrics", 200, JSON.readTree(tm)));
    out.add(
        new Exchange(
            "/taskmanagers",
            200,
            JSON.readTree(
                "{\"taskmanagers\":[{\"id\":\"a\",\"path\":\"pekko.tcp://flink@10.0.0.1:6122/user/rpc/taskmanager_0\",\"hardware\":{\"cpuCores\":4}},"
                    + "{\"id\":\"b\",\"path\":\"pekko.tcp://flink@10.0.0.2:6122/user/rpc/taskmanager_0\",\"hardware\":{\"cpuCores\":4}}]}")));
    return out;
  }
}
