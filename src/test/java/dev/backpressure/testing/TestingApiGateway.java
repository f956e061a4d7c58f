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
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
 * streamed HTTP response. It also answers kubectl's requests for tables (the CRDs' printer columns)
 * and its event field selectors, which the mock does not implement. Everything else passes through
 * unchanged.
 */
public final class TestingApiGateway implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern RESOURCE_PATH =
      Pattern.compile(
          "^/(?:api/(?<core>v1)|apis/(?<group>[^/]+)/(?<version>[^/]+))"
              + "(?:/namespaces/(?<ns>[^/]+))?/(?<plural>[^/]+)(?:/(?<name>[^/]+))?$");
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
      } else if (get && isRead(path, query, exchange)) {
        read(exchange, query);
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
    HttpResponse<byte[]> response = send(exchange, exchange.getRequestURI().toString(), null);
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

  /** Whether this GET needs an answer the mock cannot give: a table, or a filter on events. */
  private static boolean isRead(String path, Map<String, String> query, HttpExchange exchange) {
    Matcher m = RESOURCE_PATH.matcher(path);
    if (!m.matches()) {
      return false;
    }
    boolean eventFilter =
        m.group("core") != null
            && m.group("plural").equals("events")
            && !query.getOrDefault("fieldSelector", "").isEmpty();
    return wantsTable(exchange) || eventFilter;
  }

  private static boolean wantsTable(HttpExchange exchange) {
    String accept = exchange.getRequestHeaders().getFirst("Accept");
    return accept != null && accept.contains("as=Table");
  }

  /** Reads the objects as plain JSON from the mock, then filters events and builds the table. */
  private void read(HttpExchange exchange, Map<String, String> query)
      throws IOException, InterruptedException {
    String path = exchange.getRequestURI().getPath();
    Matcher m = RESOURCE_PATH.matcher(path);
    m.matches();
    boolean events = m.group("core") != null && m.group("plural").equals("events");
    Map<String, String> upstreamQuery = new HashMap<>(query);
    if (events) {
      upstreamQuery.remove("fieldSelector");
    }
    HttpResponse<byte[]> response =
        send(exchange, path + encode(upstreamQuery), "application/json");
    if (response.statusCode() != 200) {
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(response.statusCode(), response.body().length);
      exchange.getResponseBody().write(response.body());
      return;
    }
    JsonNode body = JSON.readTree(response.body());
    List<JsonNode> items = new ArrayList<>();
    if (body.has("items")) {
      body.get("items").forEach(items::add);
    } else {
      items.add(body);
    }
    if (events) {
      List<String> selector = selectorTerms(query.getOrDefault("fieldSelector", ""));
      items.removeIf(event -> !FieldSelector.matches(selector, event));
    }
    if (wantsTable(exchange)) {
      reply(exchange, table(m, items, body.path("metadata").path("resourceVersion").asText("")));
    } else {
      ObjectNode list = ((ObjectNode) body).deepCopy();
      // The mock names every core list "List"; typed clients such as kubectl describe want the
      // kind the API server gives.
      list.put("kind", "EventList");
      list.putArray("items").addAll(items);
      reply(exchange, list);
    }
  }

  private static List<String> selectorTerms(String selector) {
    return selector.isEmpty() ? List.of() : List.of(selector.split(","));
  }

  private HttpResponse<byte[]> send(HttpExchange exchange, String pathAndQuery, String accept)
      throws IOException, InterruptedException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(upstream + pathAndQuery))
            .method(
                exchange.getRequestMethod(),
                body.length == 0
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    exchange
        .getRequestHeaders()
        .forEach(
            (name, values) -> {
              String lower = name.toLowerCase(java.util.Locale.ROOT);
              if (!HOP_BY_HOP.contains(lower) && !(accept != null && lower.equals("accept"))) {
                values.forEach(v -> request.header(name, v));
              }
            });
    if (accept != null) {
      request.header("Accept", accept);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String encode(Map<String, String> query) {
    if (query.isEmpty()) {
      return "";
    }
    StringBuilder s = new StringBuilder("?");
    query.forEach(
        (k, v) -> {
          if (s.length() > 1) {
            s.append('&');
          }
          s.append(URLEncoder.encode(k, StandardCharsets.UTF_8))
              .append('=')
              .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        });
    return s.toString();
  }

  /** A meta.k8s.io/v1 Table with the columns the API server would print for this type. */
  private JsonNode table(Matcher m, List<JsonNode> items, String resourceVersion) {
    List<Column> columns = columns(m);
    ObjectNode table = JSON.createObjectNode();
    table.put("kind", "Table");
    table.put("apiVersion", "meta.k8s.io/v1");
    table.putObject("metadata").put("resourceVersion", resourceVersion);
    ArrayNode definitions = table.putArray("columnDefinitions");
    for (Column c : columns) {
      ObjectNode d = definitions.addObject();
      d.put("name", c.name());
      d.put("type", c.type().equals("date") ? "string" : c.type());
      d.put("format", c.name().equals("Name") ? "name" : "");
      d.put("description", "");
      d.put("priority", 0);
    }
    ArrayNode rows = table.putArray("rows");
    Instant now = Instant.now();
    for (JsonNode item : items) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      for (Column c : columns) {
        cells.add(c.cell(item, now));
      }
      ObjectNode partial = row.putObject("object");
      partial.put("kind", "PartialObjectMetadata");
      partial.put("apiVersion", "meta.k8s.io/v1");
      partial.set("metadata", item.path("metadata").deepCopy());
    }
    return table;
  }

  private List<Column> columns(Matcher m) {
    List<Column> columns = new ArrayList<>();
    if (m.group("core") != null && m.group("plural").equals("events")) {
      columns.add(new Column("Last Seen", "date", ".lastTimestamp"));
      columns.add(new Column("Type", "string", ".type"));
      columns.add(new Column("Reason", "string", ".reason"));
      columns.add(new Column("Object", "object", ".involvedObject"));
      columns.add(new Column("Message", "string", ".message"));
      return columns;
    }
    columns.add(new Column("Name", "string", ".metadata.name"));
    boolean age = false;
    for (CustomResourceDefinition crd : crds()) {
      if (m.group("core") == null
          && crd.getSpec().getGroup().equals(m.group("group"))
          && crd.getSpec().getNames().getPlural().equals(m.group("plural"))) {
        for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
          if (v.getName().equals(m.group("version")) && v.getAdditionalPrinterColumns() != null) {
            for (var c : v.getAdditionalPrinterColumns()) {
              if (c.getPriority() == null || c.getPriority() == 0) {
                columns.add(new Column(c.getName(), c.getType(), c.getJsonPath()));
                age |= c.getJsonPath().equals(".metadata.creationTimestamp");
              }
            }
          }
        }
      }
    }
    if (!age) {
      columns.add(new Column("Age", "date", ".metadata.creationTimestamp"));
    }
    return columns;
  }

  /** One printer column: its heading, its type and where its value is in the object. */
  private record Column(String name, String type, String jsonPath) {

    JsonNode cell(JsonNode item, Instant now) {
      if (type.equals("object")) {
        JsonNode ref = item.path("involvedObject");
        return JSON.getNodeFactory()
            .textNode(
                ref.path("kind").asText("").toLowerCase(java.util.Locale.ROOT)
                    + "/"
                    + ref.path("name").asText(""));
      }
      JsonNode value = JsonPathLite.first(item, jsonPath);
      if (value == null || value.isNull() || value.isMissingNode()) {
        if (type.equals("date") && item.has("metadata")) {
          value = item.path("metadata").path("creationTimestamp");
        }
        if (value == null || value.isMissingNode() || value.isNull()) {
          return JSON.getNodeFactory().nullNode();
        }
      }
      if (type.equals("date")) {
        return JSON.getNodeFactory()
            .textNode(age(Duration.between(Instant.parse(value.asText()), now)));
      }
      return value;
    }
  }

  /**
   * Field selectors on events, as the API server applies them: a=b, a==b and a!=b, all must hold.
   */
  private static final class FieldSelector {
    private FieldSelector() {}

    static boolean matches(List<String> terms, JsonNode object) {
      for (String term : terms) {
        boolean negated = term.contains("!=");
        String[] kv = term.split("!=|==|=", 2);
        if (kv.length != 2) {
          throw new IllegalArgumentException("field selector term without a value: " + term);
        }
        JsonNode value = object;
        for (String part : kv[0].trim().split("\\.")) {
          value = value.path(part);
        }
        boolean equal = value.asText("").equals(kv[1].trim());
        if (equal == negated) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * The part of JSONPath that printer columns use: {@code .a.b}, {@code .a[0]} and {@code
   * .a[?(@.k=="v")].b}; the first match, or null.
   */
  static final class JsonPathLite {
    private static final Pattern FILTER =
        Pattern.compile("\\?\\(@\\.([\\w.]+)==[\"']([^\"']*)[\"']\\)");

    private JsonPathLite() {}

    static JsonNode first(JsonNode root, String path) {
      List<JsonNode> current = List.of(root);
      int i = 0;
      while (i < path.length()) {
        char c = path.charAt(i);
        if (c == '.') {
          int end = i + 1;
          while (end < path.length() && path.charAt(end) != '.' && path.charAt(end) != '[') {
            end++;
          }
          String field = path.substring(i + 1, end);
          current = current.stream().map(n -> n.get(field)).filter(n -> n != null).toList();
          i = end;
        } else if (c == '[') {
          int end = path.indexOf(']', i);
          String inside = path.substring(i + 1, end);
          Matcher filter = FILTER.matcher(inside);
          List<JsonNode> next = new ArrayList<>();
          for (JsonNode n : current) {
            if (filter.matches()) {
              for (JsonNode element : n) {
                JsonNode v = element;
                for (String part : filter.group(1).split("\\.")) {
                  v = v.path(part);
                }
                if (v.asText("").equals(filter.group(2))) {
                  next.add(element);
                }
              }
            } else if (n.isArray() && n.has(Integer.parseInt(inside.trim()))) {
              next.add(n.get(Integer.parseInt(inside.trim())));
            }
          }
          current = next;
          i = end + 1;
        } else {
          throw new IllegalArgumentException("unsupported JSONPath: " + path);
        }
      }
      return current.isEmpty() ? null : current.get(0);
    }
  }

  /** Ages the way kubectl prints them: 45s, 3m12s, 25m, 4h5m, 30h, 9d. */
  static String age(Duration d) {
    long s = Math.max(0, d.getSeconds());
    if (s < 120) {
      return s + "s";
    }
    long min = s / 60;
    if (min < 10) {
      return s % 60 == 0 ? min + "m" : min + "m" + (s % 60) + "s";
    }
    long h = min / 60;
    if (h < 3) {
      return min + "m";
    }
    if (h < 8) {
      return min % 60 == 0 ? h + "h" : h + "h" + (min % 60) + "m";
    }
    if (h < 48) {
      return h + "h";
    }
    return (h / 24) + "d";
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
    boolean table = wantsTable(exchange);
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
                JsonNode object = JSON.valueToTree(resource);
                event.set("object", table ? table(m, List.of(object), "") : object);
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
