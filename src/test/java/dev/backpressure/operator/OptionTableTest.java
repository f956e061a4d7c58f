package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.diagnosis.Durations;
import dev.backpressure.diagnosis.Thresholds;
import dev.backpressure.testing.TestingKubernetes;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * One table of settings ({@link PolicyOptions}, the model's annotations) and everything that states
 * a setting again: the committed CRD, the model's own field values, the classifier's thresholds
 * behind {@code diagnose --list-thresholds}, and the README. Any disagreement fails here.
 */
class OptionTableTest {

  @Test
  void theCrdStatesEverySettingAsTheTableDoes() throws Exception {
    CustomResourceDefinition crd =
        Serialization.unmarshal(
            Files.readString(Path.of(TestingKubernetes.OUR_CRD)), CustomResourceDefinition.class);
    JSONSchemaProps root = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();

    assertThat(PolicyOptions.all()).hasSizeGreaterThan(25);
    for (PolicyOptions.Option o : PolicyOptions.all()) {
      JSONSchemaProps field = root;
      JSONSchemaProps parent = null;
      for (String part : o.path().split("\\.")) {
        parent = field;
        field = field.getProperties().get(part);
        assertThat(field).as("%s in the CRD", o.path()).isNotNull();
      }
      assertThat(field.getMinimum()).as(o.path()).isEqualTo(o.min().orElse(null));
      assertThat(field.getMaximum()).as(o.path()).isEqualTo(o.max().orElse(null));
      assertThat(field.getPattern()).as(o.path()).isEqualTo(o.pattern().orElse(null));
      assertThat(Optional.ofNullable(field.getDefault()).isPresent())
          .as(o.path())
          .isEqualTo(o.defaultValue().isPresent());
      if (field.getDefault() != null) {
        assertThat(same(field.getDefault().asText(), o.defaultValue().get()))
            .as("%s: CRD default %s, table %s", o.path(), field.getDefault(), o.defaultValue())
            .isTrue();
      }
      assertThat(field.getDescription()).as(o.path()).isEqualTo(o.description());
      assertThat(o.description()).as("%s has a description", o.path()).isNotBlank();
      assertThat(parent.getRequired() != null && parent.getRequired().contains(o.field().getName()))
          .as("%s required", o.path())
          .isEqualTo(o.required());
    }
  }

  @Test
  void aSpecLeftEmptyHoldsEveryDefaultTheSchemaDeclares() {
    RemediationPolicySpec empty = new RemediationPolicySpec();
    for (PolicyOptions.Option o : PolicyOptions.all()) {
      Optional<Object> value = o.valueIn(empty);
      if (o.defaultValue().isEmpty()) {
        continue;
      }
      assertThat(value).as("%s has its default in the model", o.path()).isPresent();
      Object v = value.get();
      if (v instanceof Number n) {
        assertThat(n.doubleValue())
            .as(o.path())
            .isEqualTo(Double.parseDouble(o.defaultValue().get()));
      } else {
        assertThat(String.valueOf(v)).as(o.path()).isEqualTo(o.defaultValue().get());
      }
    }
  }

  @Test
  void aPolicysDetectionSettingsAreTheClassifiersThresholds() {
    int shared = 0;
    for (Thresholds.Option t : Thresholds.OPTIONS) {
      Optional<PolicyOptions.Option> p =
          PolicyOptions.all().stream()
              .filter(o -> o.path().equals("spec.detection." + t.name()))
              .findFirst();
      if (p.isEmpty()) {
        assertThat(t.policyDefault()).as(t.name()).isEmpty();
        continue;
      }
      shared++;
      PolicyOptions.Option o = p.get();
      assertThat(lower(o.description())).as(t.name()).isEqualTo(lower(t.description() + "."));
      if (o.min().isPresent()) {
        assertThat(o.range()).as(t.name()).isEqualTo(t.range());
      }
      String policyDefault = t.policyDefault().orElse(t.defaultValue());
      assertThat(same(o.defaultValue().orElseThrow(), policyDefault))
          .as("%s: policy default %s, table %s", t.name(), o.defaultValue(), policyDefault)
          .isTrue();
      // A default set apart must really differ, and say why.
      t.policyDefault()
          .ifPresent(
              d -> {
                assertThat(same(d, t.defaultValue())).as(t.name()).isFalse();
                assertThat(t.whyApart()).as(t.name()).isPresent();
              });
    }
    assertThat(shared).isEqualTo(4);
  }

  @Test
  void theReadmeShowsBothTablesAsTheyAre() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    Path wanted = Path.of("target/readme-tables.md");
    Files.writeString(wanted, policyTable() + "\n" + thresholdTable());
    assertThat(readme.contains(policyTable()) && readme.contains(thresholdTable()))
        .as("the README's settings tables differ from the code: take them from " + wanted)
        .isTrue();
  }

  /** The README's table of policy settings. */
  static String policyTable() {
    StringBuilder out = new StringBuilder("| setting | default | allowed | meaning |\n");
    out.append("|---|---|---|---|\n");
    for (PolicyOptions.Option o : PolicyOptions.all()) {
      out.append("| `")
          .append(o.path().substring("spec.".length()))
          .append("` | ")
          .append(o.defaultValue().map(v -> "`" + v + "`").orElse(o.required() ? "(required)" : ""))
          .append(" | ")
          .append(o.range())
          .append(" | ")
          .append(o.description())
          .append(" |\n");
    }
    return out.toString();
  }

  /** The README's table of the thresholds {@code diagnose --threshold} sets. */
  static String thresholdTable() {
    StringBuilder out =
        new StringBuilder("| threshold | default | in a policy | range | meaning |\n");
    out.append("|---|---|---|---|---|\n");
    for (Thresholds.Option t : Thresholds.OPTIONS) {
      boolean inPolicy =
          PolicyOptions.all().stream().anyMatch(o -> o.path().equals("spec.detection." + t.name()));
      out.append("| `")
          .append(t.name())
          .append("` | ")
          .append(t.defaultValue())
          .append(" | ")
          .append(inPolicy ? t.policyDefault().orElse(t.defaultValue()) : "")
          .append(" | ")
          .append(t.range())
          .append(" | ")
          .append(t.description())
          .append(t.whyApart().map(w -> " (" + w + ")").orElse(""))
          .append(" |\n");
    }
    return out.toString();
  }

  /** Text with its first letter in lower case, as in a table cell. */
  private static String lower(String s) {
    return s.substring(0, 1).toLowerCase(Locale.ROOT) + s.substring(1);
  }

  /** Equal as numbers, durations or text. */
  private static boolean same(String a, String b) {
    try {
      return Double.parseDouble(a) == Double.parseDouble(b);
    } catch (NumberFormatException e) {
      try {
        return Durations.parse(a, "a").equals(Durations.parse(b, "b"));
      } catch (IllegalArgumentException notDuration) {
        return a.equals(b);
      }
    }
  }
}
