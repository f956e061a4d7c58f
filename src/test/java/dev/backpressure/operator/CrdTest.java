package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The committed CRD files are exactly what the build generates from the Java model: a change to the
 * model without regenerating crds/ (and the chart's copy) fails here.
 */
class CrdTest {

  private static final String FILE = "remediationpolicies.backpressure.dev-v1.yml";

  @Test
  void committedCrdsMatchTheGeneratedOne() throws Exception {
    String generated = Files.readString(Path.of("target/classes/META-INF/fabric8/" + FILE));
    assertThat(Files.readString(Path.of("crds/" + FILE)))
        .as("crds/%s is stale: copy target/classes/META-INF/fabric8/%s over it", FILE, FILE)
        .isEqualTo(generated);
    assertThat(Files.readString(Path.of("helm/crds/" + FILE)))
        .as("helm/crds/%s differs from crds/%s", FILE, FILE)
        .isEqualTo(generated);
  }

  @Test
  void theCrdCarriesTheRulesThatRefuseBadPolicies() throws Exception {
    String crd = Files.readString(Path.of("crds/" + FILE));
    assertThat(crd)
        .contains("an Enforce policy must select FlinkDeployments by label")
        .contains("sustainSamples must not exceed windowSize")
        .contains("enum:")
        .contains("DryRun")
        .contains("pattern: \"^[0-9]+(ms|s|m|h)$\"")
        .contains("subresources:")
        .contains("name: \"Backpressured\"");
  }
}
