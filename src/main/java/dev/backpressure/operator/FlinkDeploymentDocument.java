package dev.backpressure.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.backpressure.flink.FlinkVersion;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One FlinkDeployment as this operator reads it: only the fields it uses, taken from the object as
 * the API server holds it. The Flink operator's own model classes reject what its later releases
 * accept (a {@code flinkVersion} of {@code v2_1}, a nested {@code flinkConfiguration}), and one
 * such object would blind an informer built on them to every deployment; this reading accepts any
 * release's shape, keeps unknown values as text, and refuses (with a reason a person can act on)
 * only what it would have to guess at.
 *
 * @param resource the object as read, for events about it
 * @param flinkVersion {@code spec.flinkVersion} as written ({@code v1_20}, {@code v2_4}, a future
 *     value), empty when unset
 * @param configuration {@code spec.flinkConfiguration} flattened with dots, as the Flink operator
 *     flattens a nested one: the keys Flink sees
 * @param configurationPaths for each key, where it lives under {@code spec.flinkConfiguration}: one
 *     segment for a flat key, several for a nested one ({@code taskmanager} → {@code memory} → …)
 * @param configurationTree {@code spec.flinkConfiguration} as written (a missing node if unset)
 * @param jobParallelism {@code spec.job.parallelism}, -1 when unset
 * @param upgradeMode {@code spec.job.upgradeMode} in lower case, {@code stateless} when unset (the
 *     Flink operator's default)
 * @param lifecycleState {@code status.lifecycleState}, {@code UNKNOWN} when unset
 * @param jobState {@code status.jobStatus.state}, {@code UNKNOWN} when unset
 * @param runsCurrentSpec whether the Flink operator has reconciled the spec as it is now
 */
public record FlinkDeploymentDocument(
    GenericKubernetesResource resource,
    String namespace,
    String name,
    Map<String, String> labels,
    Map<String, String> annotations,
    String resourceVersion,
    String flinkVersion,
    Map<String, String> configuration,
    Map<String, List<String>> configurationPaths,
    JsonNode configurationTree,
    int jobParallelism,
    String upgradeMode,
    Optional<String> taskManagerMemory,
    String lifecycleState,
    String jobState,
    Optional<String> jobId,
    boolean runsCurrentSpec) {

  public static final String GROUP = "flink.apache.org";
  public static final String VERSION = "v1beta1";
  public static final String API_VERSION = GROUP + "/" + VERSION;
  public static final String KIND = "FlinkDeployment";

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern SPEC_VERSION = Pattern.compile("^v(\\d+)_(\\d+)$");

  public FlinkDeploymentDocument {
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
    configuration = Map.copyOf(configuration);
    configurationPaths = Map.copyOf(configurationPaths);
  }

  /** Why an object cannot be read safely enough to act on; the message says what to change. */
  public static final class Unreadable extends Exception {
    public Unreadable(String message) {
      super(message);
    }
  }

  /** Reads the object; refuses it only where reading it would mean guessing. */
  public static FlinkDeploymentDocument read(GenericKubernetesResource resource) throws Unreadable {
    JsonNode root = JSON.valueToTree(resource);
    JsonNode metadata = root.path("metadata");
    JsonNode spec = root.path("spec");
    if (!spec.isMissingNode() && !spec.isNull() && !spec.isObject()) {
      throw new Unreadable("spec is " + describe(spec) + ", not an object");
    }
    JsonNode configTree = spec.path("flinkConfiguration");
    if (configTree.isNull()) {
      configTree = MissingNode.getInstance();
    } else if (!configTree.isMissingNode() && !configTree.isObject()) {
      throw new Unreadable(
          "spec.flinkConfiguration is "
              + describe(configTree)
              + ", not a map of keys to values (flat or nested)");
    }
    Map<String, String> config = new LinkedHashMap<>();
    Map<String, List<String>> paths = new LinkedHashMap<>();
    flatten(configTree, new ArrayList<>(), config, paths);

    JsonNode status = root.path("status");
    return new FlinkDeploymentDocument(
        resource,
        metadata.path("namespace").asText(""),
        metadata.path("name").asText(""),
        strings(metadata.path("labels")),
        strings(metadata.path("annotations")),
        metadata.path("resourceVersion").asText(""),
        text(spec.path("flinkVersion")).orElse(""),
        config,
        paths,
        configTree.deepCopy(),
        wholeNumber(spec.path("job").path("parallelism"), "spec.job.parallelism"),
        text(spec.path("job").path("upgradeMode"))
            .map(m -> m.toLowerCase(Locale.ROOT).replace('_', '-'))
            .orElse("stateless"),
        text(spec.path("taskManager").path("resource").path("memory")),
        text(status.path("lifecycleState")).orElse("UNKNOWN"),
        text(status.path("jobStatus").path("state")).orElse("UNKNOWN"),
        text(status.path("jobStatus").path("jobId")).filter(s -> !s.isBlank()),
        runsCurrentSpec(metadata, spec, config, status));
  }

  /** The spec's Flink version as major.minor ({@code v2_1} → 2.1); 0.0 when unset or unknown. */
  public FlinkVersion specFlinkVersion() {
    Matcher m = SPEC_VERSION.matcher(flinkVersion);
    return m.matches()
        ? FlinkVersion.parse(m.group(1) + "." + m.group(2))
        : FlinkVersion.parse(flinkVersion.isEmpty() ? null : flinkVersion);
  }

  public DeploymentKey key() {
    return new DeploymentKey(namespace, name);
  }

  /**
   * Where a key is written: where it lives now, else inside the deepest nested object the user
   * already keeps for its leading segments (so that a nested configuration stays nested), else as
   * one flat key. Never a second spelling of a key that exists.
   */
  public List<String> pathFor(String key) {
    List<String> existing = configurationPaths.get(key);
    if (existing != null) {
      return existing;
    }
    String[] segments = key.split("\\.", -1);
    List<String> path = new ArrayList<>();
    JsonNode node = configurationTree;
    int used = 0;
    while (used < segments.length - 1 && node.path(segments[used]).isObject()) {
      node = node.path(segments[used]);
      path.add(segments[used]);
      used++;
    }
    path.add(String.join(".", java.util.Arrays.asList(segments).subList(used, segments.length)));
    return path;
  }

  /** The JSON node a key holds now (to keep a number a number when it is written back). */
  public JsonNode node(String key) {
    List<String> path = configurationPaths.get(key);
    if (path == null) {
      return MissingNode.getInstance();
    }
    JsonNode node = configurationTree;
    for (String segment : path) {
      node = node.path(segment);
    }
    return node;
  }

  private static void flatten(
      JsonNode node, List<String> path, Map<String, String> config, Map<String, List<String>> paths)
      throws Unreadable {
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      List<String> here = new ArrayList<>(path);
      here.add(field.getKey());
      JsonNode value = field.getValue();
      if (value.isObject()) {
        flatten(value, here, config, paths);
        continue;
      }
      String key = String.join(".", here);
      if (paths.containsKey(key)) {
        throw new Unreadable(
            "spec.flinkConfiguration sets '"
                + key
                + "' twice (as "
                + String.join("/", paths.get(key))
                + " and as "
                + String.join("/", here)
                + "): keep one of them");
      }
      if (value.isNull()) {
        continue;
      }
      // A list reads as the Flink operator flattens it (items joined with ';'); never written.
      config.put(key, value.isArray() ? joined(value) : value.asText());
      paths.put(key, List.copyOf(here));
    }
  }

  /**
   * Whether the Flink operator has reconciled the spec as it is now. Since release 1.8 it records
   * the generation it reconciled in {@code status.observedGeneration} (its own test); without one,
   * its record of the last reconciled spec (a JSON text, {@code {"spec": …}}) is compared on the
   * settings this operator changes, read the same tolerant way.
   */
  private static boolean runsCurrentSpec(
      JsonNode metadata, JsonNode spec, Map<String, String> config, JsonNode status) {
    JsonNode observed = status.path("observedGeneration");
    if (observed.isIntegralNumber() && metadata.path("generation").isIntegralNumber()) {
      return observed.asLong() == metadata.path("generation").asLong();
    }
    Optional<String> text = text(status.path("reconciliationStatus").path("lastReconciledSpec"));
    if (text.isEmpty()) {
      return false;
    }
    JsonNode reconciledSpec;
    try {
      reconciledSpec = JSON.readTree(text.get()).path("spec");
    } catch (JsonProcessingException e) {
      return false;
    }
    JsonNode reconciledConfig = reconciledSpec.path("flinkConfiguration");
    Map<String, String> before = new LinkedHashMap<>();
    try {
      if (reconciledConfig.isObject()) {
        flatten(reconciledConfig, new ArrayList<>(), before, new LinkedHashMap<>());
      }
    } catch (Unreadable e) {
      return false;
    }
    return before.equals(config)
        && text(reconciledSpec.path("job").path("parallelism"))
            .equals(text(spec.path("job").path("parallelism")))
        && text(reconciledSpec.path("taskManager").path("resource").path("memory"))
            .equals(text(spec.path("taskManager").path("resource").path("memory")));
  }

  private static int wholeNumber(JsonNode node, String field) throws Unreadable {
    if (node.isMissingNode() || node.isNull()) {
      return -1;
    }
    if (node.canConvertToInt() && node.isIntegralNumber()) {
      return node.asInt();
    }
    if (node.isTextual() && node.asText().trim().matches("\\d{1,9}")) {
      return Integer.parseInt(node.asText().trim());
    }
    throw new Unreadable(field + " is " + describe(node) + ", not a whole number");
  }

  private static String joined(JsonNode array) {
    List<String> items = new ArrayList<>();
    array.forEach(item -> items.add(item.isValueNode() ? item.asText() : item.toString()));
    return String.join(";", items);
  }

  private static Optional<String> text(JsonNode node) {
    return node.isValueNode() && !node.isNull() ? Optional.of(node.asText()) : Optional.empty();
  }

  private static Map<String, String> strings(JsonNode node) {
    Map<String, String> out = new LinkedHashMap<>();
    if (node instanceof ObjectNode o) {
      o.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    }
    return out;
  }

  private static String describe(JsonNode node) {
    String shown = node.toString();
    return (node.isTextual() ? "the text " : "")
        + (shown.length() > 60 ? shown.substring(0, 60) + "…" : shown);
  }
}
