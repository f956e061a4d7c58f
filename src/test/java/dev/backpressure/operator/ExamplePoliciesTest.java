package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.testing.TestingKubernetes;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The example policies in config/ are accepted by the API and are valid policies. */
class ExamplePoliciesTest {

  @ParameterizedTest
  @ValueSource(strings = {"config/dry-run-policy.yaml", "config/enforcing-policy.yaml"})
  void examplePolicyIsValidAndApplies(String file) throws Exception {
    RemediationPolicy p;
    try (InputStream in = Files.newInputStream(Path.of(file))) {
      p = Serialization.unmarshal(in, RemediationPolicy.class);
    }
    PolicySettings.Parsed parsed = PolicySettings.parse(p.getSpec());
    assertThat(parsed.problems()).isEmpty();
    try (TestingKubernetes k8s = TestingKubernetes.start()) {
      RemediationPolicy created = k8s.client().resource(p).inNamespace("default").create();
      assertThat(created.getMetadata().getName()).isEqualTo(p.getMetadata().getName());
    }
  }
}
