package dev.backpressure.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PromQL the chart ships, in its Grafana dashboard and its rendered PrometheusRule, and the
 * metric names those queries read: a dashboard or an alert on a name the operator does not export
 * shows nothing and never fires, without an error anywhere.
 */
public final class ChartQueries {

  static final Path CHART = Path.of("helm");
  static final Path DASHBOARD = CHART.resolve("dashboards/flink-backpressure-operator.json");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern LABEL_VALUES =
      Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*,[^)]*\\)");

  /** A name not followed by "(" (a function) once strings, matchers and groupings are gone. */
  private static final Pattern NAME =
      Pattern.compile("(?<![a-zA-Z0-9_:$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![a-zA-Z0-9_:]|\\s*\\()");

  private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset");

  private ChartQueries() {}

  /** Every panel's query and every variable's query of the dashboard. */
  public static List<String> dashboard() {
    JsonNode d;
    try {
      d = JSON.readTree(Files.readString(DASHBOARD));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> out = new ArrayList<>();
    d.path("panels").forEach(p -> p.path("targets").forEach(t -> out.add(t.path("expr").asText())));
    d.path("templating")
        .path("list")
        .forEach(
            v -> {
              if (v.path("type").asText().equals("query")) {
                out.add(v.path("query").path("query").asText());
              }
            });
    return out;
  }

  /** The PrometheusRule as the chart renders it when asked for. */
  public static GenericKubernetesResource alertRule() {
    String yaml =
        new Helm(CHART)
            .template()
            .withName("bpo")
            .withNamespace("ops")
            .withKubeVersion("1.30.0")
            .set("prometheusRule.enabled", "true")
            .call();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      if (doc.contains("kind: PrometheusRule")) {
        return Serialization.unmarshal(
            new ByteArrayInputStream(doc.getBytes(StandardCharsets.UTF_8)),
            GenericKubernetesResource.class);
      }
    }
    throw new IllegalStateException("the chart rendered no PrometheusRule:\n" + yaml);
  }

  /** Each rule of the rendered PrometheusRule: its alert name and expression. */
  public static List<JsonNode> alerts() {
    JsonNode spec = JSON.valueToTree(alertRule().getAdditionalProperties().get("spec"));
    List<JsonNode> out = new ArrayList<>();
    spec.path("groups").forEach(g -> g.path("rules").forEach(out::add));
    return out;
  }

  /** What the dashboard and the alerts query, together. */
  public static List<String> all() {
    List<String> out = new ArrayList<>(dashboard());
    alerts().forEach(r -> out.add(r.path("expr").asText()));
    return out;
  }

  /** The metric names a PromQL expression reads (functions, labels and keywords left out). */
  public static Set<String> metricNames(String promql) {
    String s = STRING.matcher(promql).replaceAll("\"\"");
    s = s.replaceAll("\\{[^}]*\\}", " ").replaceAll("\\[[^\\]]*\\]", " ");
    s = GROUPING.matcher(s).replaceAll(" ");
    s = LABEL_VALUES.matcher(s).replaceAll("$1");
    Set<String> out = new TreeSet<>();
    Matcher m = NAME.matcher(s);
    while (m.find()) {
      if (!KEYWORDS.contains(m.group(1))) {
        out.add(m.group(1));
      }
    }
    return out;
  }

  public static Set<String> metricNames(List<String> queries) {
    Set<String> out = new TreeSet<>();
    queries.forEach(q -> out.addAll(metricNames(q)));
    return out;
  }
}
