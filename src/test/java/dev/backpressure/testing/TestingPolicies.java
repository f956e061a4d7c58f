package dev.backpressure.testing;

import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicySpec;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.Map;

/**
 * Policies for tests: they select what {@link TestingFlinkDeployments} labels, and are quick (a
 * scrape a second, backpressure sustained at once) so that a test sees a decision in seconds.
 */
public final class TestingPolicies {

  private TestingPolicies() {}

  public static RemediationPolicy quick(
      String name, RemediationPolicySpec.Mode mode, String restUrl) {
    RemediationPolicy p = new RemediationPolicy();
    p.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("default").build());
    RemediationPolicySpec spec = new RemediationPolicySpec();
    spec.selector =
        new LabelSelectorBuilder().withMatchLabels(Map.of("backpressure", "watched")).build();
    spec.mode = mode;
    spec.scrapeInterval = "1s";
    spec.restUrlTemplate = restUrl;
    spec.detection.sustainDuration = "0s";
    p.setSpec(spec);
    return p;
  }
}
