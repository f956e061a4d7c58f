package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.testing.TestingKubernetes;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CRD the API server validates with and the checks the operator runs come from the same
 * annotations: every bound the operator checks is in the committed CRD, with the same value.
 */
class SchemaCheckTest {

  @Test
  void everyBoundTheOperatorChecksIsTheCrdsOwn() throws Exception {
    CustomResourceDefinition crd =
        Serialization.unmarshal(
            Files.readString(Path.of(TestingKubernetes.OUR_CRD)), CustomResourceDefinition.class);
    JSONSchemaProps root = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
    List<SchemaCheck.Bound> bounds = SchemaCheck.bounds(RemediationPolicySpec.class, "spec");

    assertThat(bounds).hasSizeGreaterThan(15);
    for (SchemaCheck.Bound b : bounds) {
      JSONSchemaProps field = root;
      JSONSchemaProps parent = null;
      String name = null;
      for (String part : b.path().split("\\.")) {
        parent = field;
        name = part;
        field = field.getProperties().get(part);
        assertThat(field).as("%s in the CRD", b.path()).isNotNull();
      }
      assertThat(field.getMinimum()).as(b.path()).isEqualTo(b.min().orElse(null));
      assertThat(field.getMaximum()).as(b.path()).isEqualTo(b.max().orElse(null));
      assertThat(field.getPattern()).as(b.path()).isEqualTo(b.pattern().orElse(null));
      if (b.required()) {
        assertThat(parent.getRequired()).as(b.path()).contains(name);
      }
    }
  }
}
