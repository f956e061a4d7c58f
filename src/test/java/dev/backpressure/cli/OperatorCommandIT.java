package dev.backpressure.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.helm.ChartQueries;
import dev.backpressure.operator.OperatorRuntime;
import dev.backpressure.operator.RequiredAccess;
import dev.backpressure.testing.Await;
import dev.backpressure.testing.TestingFlinkDeployments;
import dev.backpressure.testing.TestingFlinkRestServer;
import dev.backpressure.testing.TestingFlinkRestServer.Fixture;
import dev.backpressure.testing.TestingKubernetes;
import dev.backpressure.testing.TestingPolicies;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The {@code operator} command as the chart runs it: a process of its own, with leader election,
 * against the test API. It serves health, readiness and metrics, diagnoses, and on SIGTERM stops
 * within a pod's grace period with status 143 (128 + SIGTERM), as a graceful stop should.
 */
class OperatorCommandIT {

  private static final Pattern STARTED = Pattern.compile("metrics and health on :(\\d+)");
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** The jar the image runs, built by the package phase before this test. */
  private static final Path SHADED_JAR = Path.of("target", "backpressure-operator.jar");

  @Test
  void servesHealthAndMetricsDiagnosesAndStopsCleanlyOnSigterm() throws Exception {
    assertThat(SHADED_JAR).as("the shaded jar; build it with ./mvnw package").exists();
    try (TestingKubernetes k8s = TestingKubernetes.start();
        TestingFlinkRestServer flink =
            TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"))) {
      k8s.grant(RequiredAccess.WITH_LEADER_ELECTION);
      KubernetesClient test = k8s.client();
      TestingFlinkDeployments.running("orders").createIn(test);
      test.resource(
              TestingPolicies.quick(
                  "report", RemediationPolicySpec.Mode.DryRun, flink.url().toString()))
          .create();

      Process operator =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-Dkubernetes.master=" + test.getConfiguration().getMasterUrl(),
                  "-Dkubernetes.auth.tryKubeConfig=false",
                  "-Dkubernetes.auth.tryServiceAccount=false",
                  "-Dkubernetes.trust.certificates=true",
                  "-Dlog4j2.configurationFile=classpath:backpressure-log4j2.properties",
                  "-jar",
                  SHADED_JAR.toString(),
                  "operator",
                  "--port=0",
                  "--log-format=json",
                  "--leader-election-namespace=default",
                  "--scrape-threads=2",
                  "--request-timeout=2s",
                  "--allowed-rest-hosts=127.0.0.1")
              .redirectErrorStream(true)
              .start();
      List<String> output = new CopyOnWriteArrayList<>();
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(operator.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = in.readLine()) != null) {
                    output.add(line);
                  }
                } catch (java.io.IOException e) {
                  output.add("(reading the output failed: " + e + ")");
                }
              },
              "operator-output");
      reader.setDaemon(true);
      reader.start();
      try {
        int port =
            Integer.parseInt(
                Await.until(
                        "the operator's start line",
                        () ->
                            output.stream()
                                .map(STARTED::matcher)
                                .filter(Matcher::find)
                                .findFirst()
                                .orElse(null),
                        m -> true,
                        Duration.ofSeconds(60))
                    .group(1));
        assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);
        // A client that never finishes its request is cut off, not served forever.
        try (java.net.Socket slow = new java.net.Socket("127.0.0.1", port)) {
          slow.getOutputStream()
              .write("GET /healthz HTTP/1.1\r\nHost: x".getBytes(StandardCharsets.US_ASCII));
          slow.setSoTimeout(20_000); // the server's limit is 5 s; past 20, read() fails the test
          assertThat(slow.getInputStream().read())
              .as("the server closed the connection")
              .isEqualTo(-1);
        }
        Await.until(
            "/readyz answering 200",
            () -> get(port, "/readyz"),
            r -> r.statusCode() == 200,
            Duration.ofSeconds(60));
        Await.until(
            "the lease held by the operator",
            () -> test.leases().inNamespace("default").withName(OperatorRuntime.LEASE_NAME).get(),
            l -> l.getSpec().getHolderIdentity() != null,
            Duration.ofSeconds(30));
        Await.until(
            "a diagnosis in the policy status",
            () ->
                test.resources(RemediationPolicy.class)
                    .inNamespace("default")
                    .withName("report")
                    .get(),
            x ->
                x.getStatus() != null
                    && !x.getStatus().deployments.isEmpty()
                    && x.getStatus().deployments.get(0).lastDiagnosis != null,
            Duration.ofSeconds(60));
        // A diagnosis counts once the backpressure is sustained, a few scrapes later.
        String metrics =
            Await.until(
                "the diagnosis and the planned change in /metrics",
                () -> get(port, "/metrics").body(),
                m ->
                    m.contains(
                            "backpressure_changes_total{deployment=\"orders\",namespace=\"default\","
                                + "outcome=\"PLANNED\",policy=\"report\"}")
                        && m.contains(
                            "backpressure_deployment_phase{deployment=\"orders\",namespace=\"default\","
                                + "phase=\"Planned\",policy=\"report\"} 1"),
                Duration.ofSeconds(60));
        assertThat(metrics)
            .contains("backpressure_scrape_duration_seconds_count")
            .contains("backpressure_diagnoses_total{cause=\"COMPUTE_BOTTLENECK\"}")
            .contains("operator_sdk_reconciliations_started_total")
            // Per deployment, as dashboards and alerts name it; the JVM's own.
            .contains("backpressure_deployment_backpressure_milliseconds_per_second{")
            .contains("backpressure_deployment_bottleneck_busy_milliseconds_per_second{")
            .contains("backpressure_scrape_duration_seconds_bucket{")
            .contains("jvm_memory_used_bytes{")
            .contains("process_cpu_usage ");
        // Each metric the chart's dashboard and alerts query is one this command exports; "up" is
        // the one Prometheus writes itself for each target.
        Set<String> exported =
            metrics
                .lines()
                .filter(l -> !l.startsWith("#") && !l.isBlank())
                .map(l -> l.split("[{ ]", 2)[0])
                .collect(Collectors.toSet());
        Set<String> queried = new TreeSet<>(ChartQueries.metricNames(ChartQueries.all()));
        queried.remove("up");
        assertThat(queried).hasSizeGreaterThan(8);
        assertThat(exported).as("the metrics /metrics exports").containsAll(queried);

        // The audit line of the diagnosis, as a log pipeline reads it: one JSON object, the
        // deployment a field of its own. The shaded jar finds the JSON layout among its plugins.
        JsonNode audit =
            Await.until(
                "the diagnosis's audit line in JSON",
                () ->
                    output.stream()
                        .filter(l -> l.startsWith("{"))
                        .map(OperatorCommandIT::json)
                        .filter(j -> j.path("message").asText().startsWith("diagnosis: "))
                        .findFirst()
                        .orElse(null),
                j -> true,
                Duration.ofSeconds(30));
        assertThat(audit.path("log.logger").asText()).isEqualTo("dev.backpressure.audit");
        assertThat(audit.path("log.level").asText()).isEqualTo("INFO");
        assertThat(audit.path("deployment").asText()).isEqualTo("orders");
        assertThat(audit.path("policy").asText()).isEqualTo("report");
        assertThat(output)
            .as("no line in the text layout; output:%n%s", String.join("\n", output))
            .noneMatch(l -> l.matches("^\\d{4}-\\d{2}-\\d{2}T.*"));

        operator.destroy(); // SIGTERM, as the kubelet sends it
        assertThat(operator.waitFor(30, TimeUnit.SECONDS))
            .as("stopped within 30 s of SIGTERM; output:%n%s", String.join("\n", output))
            .isTrue();
        assertThat(operator.exitValue())
            .as("exit status; output:%n%s", String.join("\n", output))
            .isEqualTo(143);
      } finally {
        operator.destroyForcibly();
      }
    }
  }

  private static JsonNode json(String line) {
    try {
      return new ObjectMapper().readTree(line);
    } catch (java.io.IOException e) {
      throw new AssertionError("a log line that is not JSON: " + line, e);
    }
  }

  private static HttpResponse<String> get(int port, String path) {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .timeout(Duration.ofSeconds(5))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
