package dev.backpressure.operator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * {@code /metrics} (Prometheus text), {@code /healthz} and {@code /readyz} on one port, answered on
 * threads of their own: without them the server reads each request on its one dispatcher thread,
 * and a client that sends half a request would hold every probe.
 */
public final class HealthServer implements AutoCloseable {

  static final int THREADS = 8;

  static {
    // The JDK server closes a connection whose request or response takes longer than this; read
    // once, when its first server starts (in the operator's process, this one).
    System.setProperty(
        "sun.net.httpserver.maxReqTime", System.getProperty("sun.net.httpserver.maxReqTime", "5"));
    System.setProperty(
        "sun.net.httpserver.maxRspTime", System.getProperty("sun.net.httpserver.maxRspTime", "30"));
  }

  private final HttpServer server;
  private final ExecutorService threads;

  /**
   * @param ready what {@code /readyz} says
   * @param problem why the operator is not live ({@code /healthz} then answers 503), empty if it is
   */
  public HealthServer(
      int port,
      PrometheusMeterRegistry registry,
      BooleanSupplier ready,
      Supplier<Optional<String>> problem)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 0);
    AtomicInteger n = new AtomicInteger();
    threads =
        Executors.newFixedThreadPool(
            THREADS,
            r -> {
              Thread t = new Thread(r, "http-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(threads);
    server.createContext(
        "/metrics", x -> respond(x, 200, registry.scrape(), "text/plain; version=0.0.4"));
    server.createContext(
        "/healthz",
        x -> {
          Optional<String> why = problem.get();
          respond(x, why.isEmpty() ? 200 : 503, why.orElse("ok") + "\n", "text/plain");
        });
    server.createContext(
        "/readyz",
        x -> {
          boolean ok = ready.getAsBoolean();
          respond(x, ok ? 200 : 503, ok ? "ready\n" : "not ready\n", "text/plain");
        });
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange x, int status, String body, String type)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().add("Content-Type", type);
    x.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(1);
    threads.shutdownNow();
  }
}
