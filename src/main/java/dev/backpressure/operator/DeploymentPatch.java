package dev.backpressure.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.backpressure.remediation.SettingChange;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A JSON Patch (RFC 6902) that writes only the values a decision changes and the guard state
 * annotation, after a {@code test} of the resourceVersion: if anyone changed the deployment since
 * it was read, the API server refuses the whole patch and nothing is half-applied.
 */
final class DeploymentPatch {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private DeploymentPatch() {}

  static String of(FlinkDeploymentDocument fd, List<SettingChange> changes, String guardState) {
    ArrayNode ops = JSON.createArrayNode();
    ops.addObject()
        .put("op", "test")
        .put("path", "/metadata/resourceVersion")
        .put("value", fd.resourceVersion());
    if (fd.annotations().isEmpty()) {
      ops.addObject().put("op", "add").put("path", "/metadata/annotations").putObject("value");
    }
    ops.addObject()
        .put("op", "add")
        .put("path", "/metadata/annotations/" + escape(FlinkDeployments.GUARD_ANNOTATION))
        .put("value", guardState);
    boolean configExists = !fd.configurationTree().isMissingNode();
    for (SettingChange c : changes) {
      switch (c.setting()) {
        case FLINK_CONFIGURATION -> {
          if (!configExists && !c.removes()) {
            ops.addObject()
                .put("op", "add")
                .put("path", "/spec/flinkConfiguration")
                .putObject("value");
            configExists = true;
          }
          // Where the user keeps the key (flat or nested), so that no second spelling appears and
          // a rollback leaves the spec exactly as it was written.
          String path =
              "/spec/flinkConfiguration/"
                  + fd.pathFor(c.key()).stream()
                      .map(DeploymentPatch::escape)
                      .collect(Collectors.joining("/"));
          if (c.removes()) {
            if (fd.configuration().containsKey(c.key())) {
              ops.addObject().put("op", "remove").put("path", path);
            }
          } else {
            ops.addObject()
                .put("op", "add")
                .put("path", path)
                .set("value", valueLike(fd.node(c.key()), c.to()));
          }
        }
        case JOB_PARALLELISM -> {
          ObjectNode op = ops.addObject().put("op", "replace").put("path", "/spec/job/parallelism");
          op.put("value", Integer.parseInt(c.to()));
        }
        case TASK_MANAGER_MEMORY ->
            ops.addObject()
                .put("op", "replace")
                .put("path", "/spec/taskManager/resource/memory")
                .put("value", c.to());
      }
    }
    return ops.toString();
  }

  /**
   * The value as the same JSON type as the one it replaces: a YAML {@code 0.2} or {@code 4} the
   * user wrote stays a number, so that writing the old value back restores it exactly.
   */
  private static JsonNode valueLike(JsonNode current, String value) {
    if (current.isNumber()) {
      try {
        return JSON.readTree(value).isNumber() ? JSON.readTree(value) : TextNode.valueOf(value);
      } catch (JsonProcessingException e) {
        return TextNode.valueOf(value);
      }
    }
    if (current.isBoolean() && ("true".equals(value) || "false".equals(value))) {
      return BooleanNode.valueOf(Boolean.parseBoolean(value));
    }
    return TextNode.valueOf(value);
  }

  /** JSON Pointer escaping: "~" → "~0", "/" → "~1". */
  static String escape(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }
}
