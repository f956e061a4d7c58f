package dev.backpressure.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.backpressure.api.RemediationPolicy;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway gives kubectl what the mock cannot: discovery, tables and event selectors. */
class TestingApiGatewayTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TABLE =
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

  private static TestingKubernetes k8s;
  private static TestingApiGateway gateway;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    k8s = TestingKubernetes.start();
    gateway = TestingApiGateway.start(k8s.client());
    RemediationPolicy policy;
    try (InputStream in = Files.newInputStream(Path.of("config/enforcing-policy.yaml"))) {
      policy = Serialization.unmarshal(in, RemediationPolicy.class);
    }
    k8s.client().resource(policy).inNamespace("default").create();
    FlinkDeployment orders = TestingFlinkDeployments.running("orders").build();
    FlinkDeployment created = k8s.client().resource(orders).create();
    created.setStatus(orders.getStatus());
    k8s.client().resource(created).updateStatus();
    event("orders", created.getMetadata().getUid(), "FlinkDeployment", "BackpressureDetected");
    event("payments", "uid-2", "FlinkDeployment", "ChangeApplied");
  }

  private static void event(String name, String uid, String kind, String reason) {
    k8s.client()
        .v1()
        .events()
        .inNamespace("default")
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName(name + "." + reason.toLowerCase())
                .endMetadata()
                .withInvolvedObject(
                    new ObjectReferenceBuilder()
                        .withKind(kind)
                        .withName(name)
                        .withNamespace("default")
                        .withUid(uid)
                        .build())
                .withReason(reason)
                .withType("Normal")
                .withMessage(reason + " on " + name)
                .withLastTimestamp("2026-01-01T00:00:00Z")
                .build())
        .create();
  }

  @AfterAll
  static void stop() {
    gateway.close();
    k8s.close();
  }

  private JsonNode get(String path, String accept) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(gateway.url() + path))
                .header("Accept", accept)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  private static List<String> texts(JsonNode array, String field) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(field == null ? n.asText() : n.path(field).asText()));
    return out;
  }

  @Test
  void discoveryListsBothCustomResourcesAndEvents() throws Exception {
    assertThat(texts(get("/apis", "application/json").get("groups"), "name"))
        .contains("flink.apache.org", "backpressure.dev");
    assertThat(
            texts(
                get("/apis/backpressure.dev/v1alpha1", "application/json").get("resources"),
                "name"))
        .contains("remediationpolicies", "remediationpolicies/status");
    assertThat(texts(get("/api/v1", "application/json").get("resources"), "name"))
        .contains("events");
  }

  @Test
  void tablesCarryTheCrdPrinterColumns() throws Exception {
    JsonNode table =
        get("/apis/backpressure.dev/v1alpha1/namespaces/default/remediationpolicies", TABLE);
    assertThat(table.get("kind").asText()).isEqualTo("Table");
    List<String> columns = texts(table.get("columnDefinitions"), "name");
    assertThat(columns).startsWith("Name").contains("Mode", "Governed", "Remediating", "Age");
    JsonNode cells = table.get("rows").get(0).get("cells");
    assertThat(cells.get(0).asText()).isEqualTo("auto-fix");
    assertThat(cells.get(columns.indexOf("Mode")).asText()).isEqualTo("Enforce");
    assertThat(cells.get(columns.indexOf("Age")).asText()).matches("\\d+s");

    JsonNode fd =
        get("/apis/flink.apache.org/v1beta1/namespaces/default/flinkdeployments/orders", TABLE);
    List<String> fdColumns = texts(fd.get("columnDefinitions"), "name");
    assertThat(fdColumns).contains("Job Status", "Lifecycle State");
    assertThat(fd.get("rows").get(0).get("cells").get(fdColumns.indexOf("Job Status")).asText())
        .isEqualTo("RUNNING");
  }

  @Test
  void eventsAreFilteredByTheirInvolvedObject() throws Exception {
    String selector =
        URLEncoder.encode(
            "involvedObject.name=orders,involvedObject.kind=FlinkDeployment",
            StandardCharsets.UTF_8);
    JsonNode list =
        get("/api/v1/namespaces/default/events?fieldSelector=" + selector, "application/json");
    assertThat(texts(list.get("items"), "reason")).containsExactly("BackpressureDetected");
    String not = URLEncoder.encode("involvedObject.name!=orders", StandardCharsets.UTF_8);
    JsonNode table = get("/api/v1/namespaces/default/events?fieldSelector=" + not, TABLE);
    assertThat(table.get("rows")).hasSize(1);
    assertThat(texts(table.get("rows").get(0).get("cells"), null))
        .contains("ChangeApplied", "flinkdeployment/payments");
  }

  @Test
  void printerColumnPathsWithFilters() throws Exception {
    JsonNode status =
        JSON.readTree(
            "{\"status\":{\"conditions\":[{\"type\":\"Degraded\",\"status\":\"False\"},"
                + "{\"type\":\"Ready\",\"status\":\"True\"}]}}");
    assertThat(
            TestingApiGateway.JsonPathLite.first(
                    status, ".status.conditions[?(@.type==\"Ready\")].status")
                .asText())
        .isEqualTo("True");
    assertThat(TestingApiGateway.JsonPathLite.first(status, ".status.conditions[0].type").asText())
        .isEqualTo("Degraded");
    assertThat(TestingApiGateway.JsonPathLite.first(status, ".status.missing")).isNull();
    assertThat(TestingApiGateway.age(Duration.ofSeconds(75))).isEqualTo("75s");
    assertThat(TestingApiGateway.age(Duration.ofSeconds(185))).isEqualTo("3m5s");
    assertThat(TestingApiGateway.age(Duration.ofMinutes(200))).isEqualTo("3h20m");
    assertThat(TestingApiGateway.age(Duration.ofDays(3))).isEqualTo("3d");
  }

  /** The real client, when this machine has it: what a user types in the playground. */
  @Test
  void kubectlGetsAndDescribesThroughTheGateway(@TempDir Path dir) throws Exception {
    Path kubectl = Path.of("/usr/bin/kubectl");
    assumeTrue(Files.isExecutable(kubectl), "kubectl is not installed");
    Path config = gateway.writeKubeconfig(dir);
    String policies = run(kubectl, config, "get", "remediationpolicies");
    assertThat(policies).contains("MODE", "GOVERNED", "auto-fix", "Enforce");
    String deployments = run(kubectl, config, "get", "flinkdeployments");
    assertThat(deployments).contains("JOB STATUS", "orders", "RUNNING");
    String described = run(kubectl, config, "describe", "flinkdeployment", "orders");
    assertThat(described).contains("BackpressureDetected").doesNotContain("ChangeApplied");
  }

  @Test
  void kubectlWatchesThroughTheGateway(@TempDir Path dir) throws Exception {
    Path kubectl = Path.of("/usr/bin/kubectl");
    assumeTrue(Files.isExecutable(kubectl), "kubectl is not installed");
    Path config = gateway.writeKubeconfig(dir);
    Process watch =
        new ProcessBuilder(
                kubectl.toString(), "--kubeconfig", config.toString(), "get", "flinkdep", "-w")
            .redirectErrorStream(true)
            .start();
    StringBuffer out = new StringBuffer();
    Thread reader =
        new Thread(
            () -> {
              try {
                watch.getInputStream().transferTo(new StringBufferStream(out));
              } catch (java.io.IOException e) {
                out.append(e);
              }
            });
    reader.start();
    try {
      Await.until(
          "the listed row", out::toString, s -> s.contains("orders"), Duration.ofSeconds(30));
      k8s.client().resource(TestingFlinkDeployments.running("late").build()).create();
      String seen =
          Await.until(
              "the watched row", out::toString, s -> s.contains("late"), Duration.ofSeconds(30));
      // One header: the watched rows come as tables with the same columns as the list.
      assertThat(seen.split("JOB STATUS", -1)).hasSize(2);
    } finally {
      watch.destroy();
      reader.join(10_000);
    }
  }

  /** Collects a process's output where a test can poll it. */
  private static final class StringBufferStream extends java.io.OutputStream {
    private final StringBuffer into;

    StringBufferStream(StringBuffer into) {
      this.into = into;
    }

    @Override
    public void write(int b) {
      into.append((char) b);
    }
  }

  private static String run(Path kubectl, Path config, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", config.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
