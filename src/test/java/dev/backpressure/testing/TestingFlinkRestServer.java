package dev.backpressure.testing;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.backpressure.flink.VertexMetric;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A Flink REST endpoint on loopback for tests: it replays responses recorded from a real Flink (in
 * order, per path, repeating the last), can record them by proxying a real Flink, and can be told
 * to misbehave (an error status, a body that is not JSON, no answer) on chosen paths.
 */
public final class TestingFlinkRestServer implements AutoCloseable {

  static final JsonMapper JSON =
      JsonMapper.builder()
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .build();

  /** One recorded request and Flink's answer. */
  public record Exchange(String path, int status, JsonNode body) {}

  private final HttpServer server;
  private final Map<String, Deque<Exchange>> replay = new ConcurrentHashMap<>();
  private final Map<String, Fault> faults = new ConcurrentHashMap<>();
  private final List<Exchange> recorded = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger requests = new AtomicInteger();
  private volatile URI upstream;

  /** What to do instead of answering normally. */
  public sealed interface Fault {
    record Status(int status, String body) implements Fault {}

    record Body(String body) implements Fault {}

    /** Accept the request and never answer it (the client's timeout must fire). */
    record Hang() implements Fault {}

    /** Send the status line and headers, a first byte of the body, then nothing more. */
    record StallBody() implements Fault {}

    /** A 200 whose body (chunked, no length) never ends, until the client hangs up. */
    record Endless() implements Fault {}

    /** A 200 that announces a body of this many bytes and sends it, until the client hangs up. */
    record Huge(long bytes) implements Fault {}

    /** A 302 to this address with the same path: where a redirect-following client would go. */
    record Redirect(URI to) implements Fault {}
  }

  private final java.util.concurrent.atomic.AtomicLong bodyBytesSent =
      new java.util.concurrent.atomic.AtomicLong();

  /** Bytes of {@link Fault.Endless} and {@link Fault.Huge} bodies that reached the socket. */
  public long faultBytesSent() {
    return bodyBytesSent.get();
  }

  static {
    // Without TCP_NODELAY the JDK server's small writes meet the client's delayed ACK: about 40 ms
    // per request, a stand-in far slower than Flink's own REST server. Read once per JVM.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private TestingFlinkRestServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "testing-flink-rest");
              t.setDaemon(true);
              return t;
            }));
    server.createContext("/", this::handle);
    server.start();
  }

  /** Serves the exchanges recorded in a fixture file. */
  public static TestingFlinkRestServer replaying(Fixture fixture) throws IOException {
    TestingFlinkRestServer s = new TestingFlinkRestServer();
    s.load(fixture.exchanges());
    return s;
  }

  /** Forwards every request to a real Flink and keeps what it answered. */
  public static TestingFlinkRestServer recording(URI flink) throws IOException {
    TestingFlinkRestServer s = new TestingFlinkRestServer();
    s.upstream = flink;
    return s;
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public int requestCount() {
    return requests.get();
  }

  public void fail(String pathPrefix, Fault fault) {
    faults.put(pathPrefix, fault);
  }

  public void clearFaults() {
    faults.clear();
  }

  /** Answers the path (exactly, query included) with this body from now on. */
  public void answer(String path, JsonNode body) {
    Deque<Exchange> answers = new ArrayDeque<>();
    answers.add(new Exchange(path, 200, body));
    replay.put(path, answers);
  }

  /** The replayed answer of the first path that starts with the prefix. */
  public JsonNode answerOf(String pathPrefix) {
    return replay.entrySet().stream()
        .filter(e -> e.getKey().startsWith(pathPrefix))
        .findFirst()
        .<JsonNode>map(e -> e.getValue().peek().body().deepCopy())
        .orElseThrow();
  }

  /** Changes the replayed answers of every path that starts with the prefix. */
  public void rewrite(String pathPrefix, UnaryOperator<JsonNode> change) {
    replay.forEach(
        (path, answers) -> {
          if (path.startsWith(pathPrefix)) {
            List<Exchange> changed = new ArrayList<>();
            answers.forEach(
                e ->
                    changed.add(
                        new Exchange(e.path(), e.status(), change.apply(e.body().deepCopy()))));
            answers.clear();
            answers.addAll(changed);
          }
        });
  }

  public List<Exchange> recorded() {
    synchronized (recorded) {
      return List.copyOf(recorded);
    }
  }

  public void clearRecorded() {
    recorded.clear();
  }

  private void load(List<Exchange> exchanges) {
    for (Exchange e : exchanges) {
      replay.computeIfAbsent(e.path(), p -> new ArrayDeque<>()).add(e);
    }
  }

  private static final java.util.regex.Pattern COUNTER =
      java.util.regex.Pattern.compile(
          "," + VertexMetric.RECORDS_OUT_TOTAL.flinkName() + "(?=[,&]|$)");

  private void handle(HttpExchange http) throws IOException {
    requests.incrementAndGet();
    String path = http.getRequestURI().toString();
    try (http) {
      for (Map.Entry<String, Fault> f : faults.entrySet()) {
        if (path.startsWith(f.getKey())) {
          Fault fault = f.getValue();
          if (fault instanceof Fault.Status s) {
            respond(http, s.status(), s.body());
          } else if (fault instanceof Fault.Redirect r) {
            http.getResponseHeaders().add("Location", r.to() + path);
            respond(http, 302, "");
          } else if (fault instanceof Fault.Body b) {
            respond(http, 200, b.body());
          } else if (fault instanceof Fault.Endless) {
            http.sendResponseHeaders(200, 0);
            stream(http, Long.MAX_VALUE);
          } else if (fault instanceof Fault.Huge h) {
            http.sendResponseHeaders(200, h.bytes());
            stream(http, h.bytes());
          } else if (fault instanceof Fault.StallBody) {
            http.sendResponseHeaders(200, 1000);
            http.getResponseBody().write('[');
            http.getResponseBody().flush();
            hang();
          } else {
            hang();
          }
          return;
        }
      }
      if (upstream != null) {
        proxy(http, path);
        return;
      }
      Deque<Exchange> answers = replay.get(path);
      if (answers == null && COUNTER.matcher(path).find()) {
        // Recordings made before the record counter was read answer without it.
        answers = replay.get(COUNTER.matcher(path).replaceFirst(""));
      }
      if (answers == null && path.contains("?")) {
        // A fixture may answer a path whatever its query (synthetic ones for benchmarks do).
        answers = replay.get(path.substring(0, path.indexOf('?')));
      }
      if (answers == null || answers.isEmpty()) {
        respond(http, 404, "{\"errors\":[\"Not found: " + path + "\"]}");
        return;
      }
      Exchange e;
      synchronized (answers) {
        e = answers.size() > 1 ? answers.poll() : answers.peek();
      }
      respond(http, e.status(), rendered.computeIfAbsent(e, x -> write(x.body())));
    }
  }

  /** Bodies are written once: a benchmark replays them thousands of times. */
  private final Map<Exchange, String> rendered =
      Collections.synchronizedMap(new java.util.IdentityHashMap<>());

  private static String write(JsonNode body) {
    try {
      return JSON.writeValueAsString(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a JSON-looking array of zeros until the total or until the client leaves. */
  private void stream(HttpExchange http, long total) {
    byte[] chunk = ("[" + "0,".repeat(32 * 1024)).getBytes(StandardCharsets.UTF_8);
    try (OutputStream out = http.getResponseBody()) {
      long sent = 0;
      while (sent < total) {
        int n = (int) Math.min(chunk.length, total - sent);
        out.write(chunk, 0, n);
        sent += n;
        bodyBytesSent.addAndGet(n);
      }
    } catch (IOException e) {
      // The client hung up: what these faults are for.
    }
  }

  /** Holds the request open well past any client timeout used in tests. */
  private static void hang() {
    try {
      Thread.sleep(60_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void proxy(HttpExchange http, String path) throws IOException {
    try {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(upstream + path)).build(),
                  HttpResponse.BodyHandlers.ofString());
      JsonNode body = JSON.readTree(r.body());
      recorded.add(new Exchange(path, r.statusCode(), body));
      respond(http, r.statusCode(), r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      respond(http, 503, "{\"errors\":[\"interrupted\"]}");
    }
  }

  private static void respond(HttpExchange http, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    http.getResponseHeaders().add("Content-Type", "application/json; charset=UTF-8");
    http.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream out = http.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }

  /** A file of exchanges recorded from a real Flink, with the version and situation it shows. */
  public record Fixture(
      String flinkVersion, String scenario, String jobId, List<Exchange> exchanges) {

    public static Fixture load(String resource) {
      try (InputStream in = TestingFlinkRestServer.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalArgumentException("no fixture " + resource);
        }
        JsonNode root = JSON.readTree(in);
        List<Exchange> exchanges = new ArrayList<>();
        for (JsonNode e : root.path("exchanges")) {
          exchanges.add(
              new Exchange(e.path("path").asText(), e.path("status").asInt(), e.path("body")));
        }
        return new Fixture(
            root.path("flinkVersion").asText(),
            root.path("scenario").asText(),
            root.path("jobId").asText(),
            exchanges);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    public void write(Path file) throws IOException {
      ObjectNode root = JSON.createObjectNode();
      root.put("flinkVersion", flinkVersion);
      root.put("scenario", scenario);
      root.put("jobId", jobId);
      ArrayNode list = root.putArray("exchanges");
      for (Exchange e : exchanges) {
        ObjectNode n = list.addObject();
        n.put("path", e.path());
        n.put("status", e.status());
        n.set("body", e.body());
      }
      Files.createDirectories(file.getParent());
      Files.writeString(file, JSON.writeValueAsString(root) + "\n");
    }

    /** The number of snapshots recorded: how often the job details were read. */
    public int snapshots() {
      Map<String, Integer> counts = new LinkedHashMap<>();
      exchanges.forEach(e -> counts.merge(e.path(), 1, Integer::sum));
      return counts.getOrDefault("/jobs/" + jobId, 0);
    }
  }
}
