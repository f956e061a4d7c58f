package dev.backpressure.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Puts kubectl in front of the mock Kubernetes API: the mock answers discovery with empty lists and
 * watches only over WebSocket, while kubectl needs the discovery documents and watches over a
 * streamed HTTP response. This gateway serves both (from the CRDs loaded in the API) and passes
 * every other request through unchanged.
 */
public final class TestingApiGateway implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern RESOURCE_PATH =
      Pattern.compile(
          "^/(?:api/(?<core>v1)|apis/(?<group>[^/]+)/(?<version>[^/]+))"
              + "(?:/namespaces/(?<ns>[^/]+))?/(?<plural>[^/]+)$");
  private static final Set<String> HOP_BY_HOP =
      Set.of("connection", "content-length", "host", "transfer-encoding", "upgrade");

  private final KubernetesClient client;
  private final URI upstream;
  private final HttpServer server;
  private final HttpClient http = HttpClient.newHttpClient();

  private TestingApiGateway(KubernetesClient client, HttpServer server) {
    this.client = client;
    this.upstream = URI.create(client.getMasterUrl().toString().replaceAll("/$", ""));
    this.server = server;
  }

  /** Starts a gateway on a loopback port in front of the API the client talks to. */
  public static TestingApiGateway start(KubernetesClient client) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    TestingApiGateway gateway = new TestingApiGateway(client, server);
    server.createContext("/", gateway::handle);
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
    return gateway;
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Writes a kubeconfig that points kubectl at this gateway and returns its path. */
  public Path writeKubeconfig(Path dir) throws IOException {
    Path file = dir.resolve("kubeconfig");
    Files.writeString(
        file,
        String.join(
            "\n",
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- name: playground",
            "  cluster:",
            "    server: " + url(),
            "contexts:",
            "- name: playground",
            "  context:",
            "    cluster: playground",
            "    namespace: default",
            "    user: playground",
            "current-context: playground",
            "users:",
            "- name: playground",
            "  user: {}",
            ""));
    return file;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
      boolean get = exchange.getRequestMethod().equals("GET");
      if (get && path.equals("/version")) {
        reply(exchange, version());
      } else if (get && path.equals("/api")) {
        reply(exchange, apiVersions());
      } else if (get && path.equals("/apis")) {
        reply(exchange, groupList());
      } else if (get && (path.equals("/api/v1") || path.matches("^/apis/[^/]+/[^/]+$"))) {
        reply(exchange, resourceList(path));
      } else if (get && isWatch(query)) {
        streamWatch(exchange, path, query);
      } else {
        forward(exchange);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      byte[] body = e.toString().getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(500, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  private static boolean isWatch(Map<String, String> query) {
    String w = query.get("watch");
    return "true".equals(w) || "1".equals(w);
  }

  private void forward(HttpExchange exchange) throws IOException, InterruptedException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(upstream + exchange.getRequestURI().toString()))
            .method(
                exchange.getRequestMethod(),
                body.length == 0
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    exchange
        .getRequestHeaders()
        .forEach(
            (name, values) -> {
              if (!HOP_BY_HOP.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                values.forEach(v -> request.header(name, v));
              }
            });
    HttpResponse<byte[]> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    response
        .headers()
        .map()
        .forEach(
            (name, values) -> {
              if (!name.startsWith(":")
                  && !HOP_BY_HOP.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                exchange.getResponseHeaders().put(name, values);
              }
            });
    byte[] answer = response.body();
    exchange.sendResponseHeaders(response.statusCode(), answer.length == 0 ? -1 : answer.length);
    if (answer.length > 0) {
      exchange.getResponseBody().write(answer);
    }
  }

  /** Streams watch events as newline-separated JSON until the client hangs up. */
  private void streamWatch(HttpExchange exchange, String path, Map<String, String> query)
      throws IOException, InterruptedException {
    Matcher m = RESOURCE_PATH.matcher(path);
    if (!m.matches()) {
      forward(exchange);
      return;
    }
    ResourceDefinitionContext type = typeOf(m);
    String name =
        query.getOrDefault("fieldSelector", "").startsWith("metadata.name=")
            ? query.get("fieldSelector").substring("metadata.name=".length())
            : null;
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, 0);
    OutputStream out = exchange.getResponseBody();
    CountDownLatch closed = new CountDownLatch(1);
    var resources = client.genericKubernetesResources(type);
    var scoped =
        m.group("ns") == null ? resources.inAnyNamespace() : resources.inNamespace(m.group("ns"));
    Watch watch =
        scoped.watch(
            new Watcher<GenericKubernetesResource>() {
              @Override
              public void eventReceived(Action action, GenericKubernetesResource resource) {
                if (name != null && !name.equals(resource.getMetadata().getName())) {
                  return;
                }
                ObjectNode event = JSON.createObjectNode();
                event.put("type", action.name());
                event.set("object", JSON.valueToTree(resource));
                try {
                  synchronized (out) {
                    out.write(JSON.writeValueAsBytes(event));
                    out.write('\n');
                    out.flush();
                  }
                } catch (IOException e) {
                  closed.countDown();
                }
              }

              @Override
              public void onClose(WatcherException cause) {
                closed.countDown();
              }
            });
    try {
      closed.await();
    } finally {
      watch.close();
    }
  }

  private ResourceDefinitionContext typeOf(Matcher m) {
    String plural = m.group("plural");
    if (m.group("core") != null) {
      return new ResourceDefinitionContext.Builder()
          .withGroup("")
          .withVersion("v1")
          .withPlural(plural)
          .withKind(plural.equals("events") ? "Event" : capitalizeSingular(plural))
          .withNamespaced(true)
          .build();
    }
    for (CustomResourceDefinition crd : crds()) {
      if (crd.getSpec().getGroup().equals(m.group("group"))
          && crd.getSpec().getNames().getPlural().equals(plural)) {
        return new ResourceDefinitionContext.Builder()
            .withGroup(m.group("group"))
            .withVersion(m.group("version"))
            .withPlural(plural)
            .withKind(crd.getSpec().getNames().getKind())
            .withNamespaced("Namespaced".equals(crd.getSpec().getScope()))
            .build();
      }
    }
    throw new IllegalArgumentException("no such resource: " + m.group());
  }

  private static String capitalizeSingular(String plural) {
    String singular = plural.endsWith("s") ? plural.substring(0, plural.length() - 1) : plural;
    return Character.toUpperCase(singular.charAt(0)) + singular.substring(1);
  }

  private List<CustomResourceDefinition> crds() {
    return client.apiextensions().v1().customResourceDefinitions().list().getItems();
  }

  private static JsonNode version() {
    ObjectNode v = JSON.createObjectNode();
    v.put("major", "1");
    v.put("minor", "31");
    v.put("gitVersion", "v1.31.0");
    v.put("platform", "linux/amd64");
    return v;
  }

  private static JsonNode apiVersions() {
    ObjectNode v = JSON.createObjectNode();
    v.put("kind", "APIVersions");
    v.putArray("versions").add("v1");
    ObjectNode cidr = v.putArray("serverAddressByClientCIDRs").addObject();
    cidr.put("clientCIDR", "0.0.0.0/0");
    cidr.put("serverAddress", "127.0.0.1");
    return v;
  }

  private JsonNode groupList() {
    ObjectNode list = JSON.createObjectNode();
    list.put("kind", "APIGroupList");
    list.put("apiVersion", "v1");
    ArrayNode groups = list.putArray("groups");
    Map<String, ObjectNode> byGroup = new HashMap<>();
    for (CustomResourceDefinition crd : crds()) {
      ObjectNode g =
          byGroup.computeIfAbsent(
              crd.getSpec().getGroup(),
              name -> {
                ObjectNode n = groups.addObject();
                n.put("name", name);
                n.putArray("versions");
                return n;
              });
      for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
        ObjectNode gv = ((ArrayNode) g.get("versions")).addObject();
        gv.put("groupVersion", crd.getSpec().getGroup() + "/" + v.getName());
        gv.put("version", v.getName());
        if (Boolean.TRUE.equals(v.getStorage())) {
          g.set("preferredVersion", gv.deepCopy());
        }
      }
    }
    return list;
  }

  private JsonNode resourceList(String path) {
    ObjectNode list = JSON.createObjectNode();
    list.put("kind", "APIResourceList");
    list.put("apiVersion", "v1");
    ArrayNode resources = list.putArray("resources");
    if (path.equals("/api/v1")) {
      list.put("groupVersion", "v1");
      resource(resources, "events", "event", "Event", true, List.of("ev"));
      resource(resources, "namespaces", "namespace", "Namespace", false, List.of("ns"));
      return list;
    }
    String[] parts = path.split("/");
    String group = parts[2];
    String version = parts[3];
    list.put("groupVersion", group + "/" + version);
    for (CustomResourceDefinition crd : crds()) {
      if (!crd.getSpec().getGroup().equals(group)
          || crd.getSpec().getVersions().stream().noneMatch(v -> v.getName().equals(version))) {
        continue;
      }
      var names = crd.getSpec().getNames();
      resource(
          resources,
          names.getPlural(),
          names.getSingular(),
          names.getKind(),
          "Namespaced".equals(crd.getSpec().getScope()),
          names.getShortNames() == null ? List.of() : names.getShortNames());
      ObjectNode status =
          resource(resources, names.getPlural() + "/status", "", names.getKind(), true, List.of());
      status.putArray("verbs").add("get").add("patch").add("update");
    }
    return list;
  }

  private static ObjectNode resource(
      ArrayNode into,
      String plural,
      String singular,
      String kind,
      boolean namespaced,
      List<String> shortNames) {
    ObjectNode r = into.addObject();
    r.put("name", plural);
    r.put("singularName", singular);
    r.put("namespaced", namespaced);
    r.put("kind", kind);
    ArrayNode verbs = r.putArray("verbs");
    List.of("create", "delete", "get", "list", "patch", "update", "watch").forEach(verbs::add);
    ArrayNode shorts = r.putArray("shortNames");
    shortNames.forEach(shorts::add);
    return r;
  }

  private static void reply(HttpExchange exchange, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new HashMap<>();
    if (raw == null) {
      return q;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      q.put(
          URLDecoder.decode(k, StandardCharsets.UTF_8),
          URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return q;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
