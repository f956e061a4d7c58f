package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.remediation.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's Argo CD recipe leaves the operator exactly the places it writes: one key fewer and a
 * sync undoes a change; one more and Git stops governing something the operator never touches.
 */
class GitOpsRecipeTest {

  private static final Pattern PATH = Pattern.compile("^\\s+- (\\.(?:spec|metadata)\\S*)$");

  @Test
  void theRecipeListsEveryPlaceTheOperatorWritesAndNoOther() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    String recipe = readme.substring(readme.indexOf("ignoreDifferences:"));
    recipe = recipe.substring(0, recipe.indexOf("```"));
    Set<String> listed = new HashSet<>();
    for (String line : recipe.split("\n")) {
      Matcher m = PATH.matcher(line);
      if (m.matches()) {
        listed.add(m.group(1));
      }
    }
    Set<String> written = new HashSet<>();
    Setting.OWNED_CONFIGURATION_KEYS.forEach(
        k -> written.add(".spec.flinkConfiguration[\"" + k + "\"]"));
    for (Setting s : Setting.values()) {
      if (s != Setting.FLINK_CONFIGURATION) {
        written.add("." + s.path());
      }
    }
    written.add(".metadata.annotations[\"" + FlinkDeployments.GUARD_ANNOTATION + "\"]");
    assertThat(listed).containsExactlyInAnyOrderElementsOf(written);
  }
}
