package dev.backpressure.operator;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.backpressure.remediation.SettingChange;
import java.util.List;
import java.util.Map;

/**
 * A JSON Patch (RFC 6902) that writes only the values a decision changes and the guard state
 * annotation, after a {@code test} of the resourceVersion: if anyone changed the deployment since
 * it was read, the API server refuses the whole patch and nothing is half-applied.
 */
final class DeploymentPatch {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private DeploymentPatch() {}

  static String of(
      String resourceVersion,
      Map<String, String> currentConfig,
      boolean hasAnnotations,
      List<SettingChange> changes,
      String guardState) {
    ArrayNode ops = JSON.createArrayNode();
    ops.addObject()
        .put("op", "test")
        .put("path", "/metadata/resourceVersion")
        .put("value", resourceVersion);
    if (!hasAnnotations) {
      ops.addObject().put("op", "add").put("path", "/metadata/annotations").putObject("value");
    }
    ops.addObject()
        .put("op", "add")
        .put("path", "/metadata/annotations/" + escape(FlinkDeployments.GUARD_ANNOTATION))
        .put("value", guardState);
    boolean configExists = currentConfig != null;
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
          String path = "/spec/flinkConfiguration/" + escape(c.key());
          if (c.removes()) {
            if (currentConfig != null && currentConfig.containsKey(c.key())) {
              ops.addObject().put("op", "remove").put("path", path);
            }
          } else {
            ops.addObject().put("op", "add").put("path", path).put("value", c.to());
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

  /** JSON Pointer escaping: "~" → "~0", "/" → "~1". */
  static String escape(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }
}
