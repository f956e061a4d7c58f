package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The probes answer what the operator's liveness says, whatever slow clients do meanwhile. */
class HealthServerTest {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(2))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthzSaysWhyTheOperatorIsNotLive() throws Exception {
    AtomicReference<Optional<String>> problem = new AtomicReference<>(Optional.empty());
    try (HealthServer server =
        new HealthServer(
            0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), () -> true, problem::get)) {
      assertThat(get(server.port(), "/healthz").statusCode()).isEqualTo(200);
      problem.set(Optional.of("reconciling policy default/fix has run for 360 s"));
      HttpResponse<String> failing = get(server.port(), "/healthz");
      assertThat(failing.statusCode()).isEqualTo(503);
      assertThat(failing.body()).contains("reconciling policy default/fix has run for 360 s");
    }
  }

  @Test
  void clientsThatSendHalfARequestDoNotHoldTheProbes() throws Exception {
    try (HealthServer server =
        new HealthServer(
            0,
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
            () -> true,
            Optional::empty)) {
      List<Socket> slow = new ArrayList<>();
      try {
        for (int i = 0; i < HealthServer.THREADS - 1; i++) {
          Socket s = new Socket("127.0.0.1", server.port());
          OutputStream out = s.getOutputStream();
          out.write("GET /healthz HTTP/1.1\r\nHost: x".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          slow.add(s);
        }
        // Answered within the client's 2 s timeout while the others still hold their requests.
        for (String path : List.of("/healthz", "/readyz", "/metrics")) {
          assertThat(get(server.port(), path).statusCode()).as(path).isEqualTo(200);
        }
      } finally {
        for (Socket s : slow) {
          s.close();
        }
      }
    }
  }
}
