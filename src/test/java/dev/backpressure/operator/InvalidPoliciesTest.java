package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.api.DeploymentPhase;
import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.testing.Await;
import dev.backpressure.testing.TestingFlinkDeployments;
import dev.backpressure.testing.TestingPolicies;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Invalid policies, as a cluster that skips validation (or an old stored object) hands them over:
 * each is refused with a message naming the field, and none affects another policy.
 */
class InvalidPoliciesTest extends MockApiTest {

  private static RemediationPolicySpec valid() {
    return TestingPolicies.quick("p", RemediationPolicySpec.Mode.Enforce, "http://127.0.0.1:1")
        .getSpec();
  }

  private static LabelSelector expression(String key, String operator, String... values) {
    LabelSelectorRequirement r = new LabelSelectorRequirement();
    r.setKey(key);
    r.setOperator(operator);
    r.setValues(values.length == 0 ? null : List.of(values));
    return new LabelSelectorBuilder().withMatchExpressions(r).build();
  }

  private static Arguments bad(String field, Consumer<RemediationPolicySpec> change) {
    return Arguments.of(field, change);
  }

  static Stream<Arguments> policies() {
    return Stream.of(
        bad("spec.selector is required", s -> s.selector = null),
        bad(
            "spec.selector.matchExpressions[0].operator",
            s -> s.selector = expression("team", null, "a")),
        bad(
            "spec.selector.matchExpressions[0].operator",
            s -> s.selector = expression("team", "Like", "a")),
        bad("spec.selector.matchExpressions[0].values", s -> s.selector = expression("team", "In")),
        bad(
            "spec.selector.matchExpressions[0].values must be empty",
            s -> s.selector = expression("team", "Exists", "a")),
        bad("spec.selector.matchExpressions[0].key", s -> s.selector = expression("", "In", "a")),
        bad(
            "spec.selector.matchLabels",
            s -> {
              Map<String, String> labels = new HashMap<>();
              labels.put("team", null);
              s.selector = new LabelSelectorBuilder().withMatchLabels(labels).build();
            }),
        bad(
            "an Enforce policy must select FlinkDeployments by label",
            s -> s.selector = expression("team", "DoesNotExist")),
        bad(
            "an Enforce policy must select FlinkDeployments by label",
            s -> s.selector = new LabelSelectorBuilder().build()),
        bad("spec.scrapeInterval", s -> s.scrapeInterval = "9999999999999999h"),
        bad("spec.scrapeInterval must be at least 1s", s -> s.scrapeInterval = "0s"),
        bad("spec.scrapeInterval must be at least 1s", s -> s.scrapeInterval = "500ms"),
        bad("spec.scrapeInterval must be a duration such as", s -> s.scrapeInterval = "PT-5M"),
        bad(
            "spec.scrapeInterval must be a duration such as",
            s -> s.scrapeInterval = "five seconds"),
        bad("spec.scrapeInterval must be set", s -> s.scrapeInterval = null),
        bad(
            "spec.detection.backPressuredMsPerSecond must be at least 1",
            s -> s.detection.backPressuredMsPerSecond = 0),
        bad(
            "spec.detection.busyMsPerSecond must be at most 1000",
            s -> s.detection.busyMsPerSecond = 1001),
        bad(
            "spec.detection.sustainSamples must be at least 1",
            s -> s.detection.sustainSamples = 0),
        bad(
            "spec.detection.sustainSamples must be at most 100",
            s -> s.detection.sustainSamples = 101),
        bad("spec.detection.windowSize must be at least 2", s -> s.detection.windowSize = 1),
        bad("spec.detection.windowSize must be at most 100", s -> s.detection.windowSize = 101),
        bad(
            "spec.detection.sustainSamples (11) must not exceed windowSize (10)",
            s -> s.detection.sustainSamples = 11),
        bad(
            "spec.detection.sustainDuration must be a duration such as",
            s -> s.detection.sustainDuration = "ever"),
        bad("spec.remedies.maxParallelism must be at least 1", s -> s.remedies.maxParallelism = 0),
        bad(
            "spec.remedies.maxParallelism must be at most 32768",
            s -> s.remedies.maxParallelism = 40000),
        bad(
            "spec.remedies.maxStepFactor must be at least 1.1",
            s -> s.remedies.maxStepFactor = 1.0001),
        bad(
            "spec.remedies.maxStepFactor must be a number",
            s -> s.remedies.maxStepFactor = Double.NaN),
        bad(
            "spec.remedies.targetUtilization must be at least 0.1",
            s -> s.remedies.targetUtilization = 0.0),
        bad(
            "spec.remedies.targetUtilization must be at most 1",
            s -> s.remedies.targetUtilization = 1.5),
        bad(
            "spec.remedies.maxNetworkMemory must be a size such as",
            s -> s.remedies.maxNetworkMemory = "lots"),
        bad("spec.remedies.maxNetworkMemory must be set", s -> s.remedies.maxNetworkMemory = null),
        bad("spec.guard.cooldown must be a duration such as", s -> s.guard.cooldown = "-5m"),
        bad("spec.guard.maxChangesPerDay must be at least 0", s -> s.guard.maxChangesPerDay = -1),
        bad("spec.guard.maxChangesPerDay must be set", s -> s.guard.maxChangesPerDay = null),
        bad("spec.guard.minImprovement must be at most 1", s -> s.guard.minImprovement = 2.0),
        bad(
            "spec.guard.maxThroughputDrop must be at least 0",
            s -> s.guard.maxThroughputDrop = -0.1),
        bad(
            "spec.guard.stabilizationTimeout must be at most 8760h",
            s -> s.guard.stabilizationTimeout = "9999999h"),
        bad(
            "spec.guard.verificationWindow must be a duration such as",
            s -> s.guard.verificationWindow = "5 min"),
        bad("spec.guard.barFor must be set", s -> s.guard.barFor = null),
        bad(
            "spec.guard.excludedWindows[0]: excluded window '10:00-10:00' starts where it ends",
            s -> s.guard.excludedWindows = new ArrayList<>(List.of("10:00-10:00"))),
        bad(
            "spec.guard.excludedWindows[1]",
            s -> s.guard.excludedWindows = new ArrayList<>(List.of("22:00-06:00", "25:00-26:00"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("policies")
  void isRefusedNamingTheField(String says, Consumer<RemediationPolicySpec> change) {
    RemediationPolicySpec spec = valid();
    assertThat(PolicySettings.parse(spec).problems()).as("the valid policy").isEmpty();
    change.accept(spec);

    PolicySettings.Parsed parsed = PolicySettings.parse(spec);
    assertThat(parsed.settings()).isEmpty();
    assertThat(parsed.problems()).anySatisfy(p -> assertThat(p).contains(says));
    assertThat(parsed.problems()).as("one message per field").doesNotHaveDuplicates();
  }

  @Test
  void policiesThatCannotBeAppliedLeaveTheOthersInTheNamespaceAlone() throws Exception {
    TestingFlinkDeployments.running("orders").createIn(client);
    RemediationPolicy broken =
        TestingPolicies.quick("broken", RemediationPolicySpec.Mode.DryRun, flink.url().toString());
    broken.getSpec().selector = expression("team", null);
    client.resource(broken).create();
    // Invalid otherwise, and selecting the same deployment: it acts on nothing, so no overlap.
    RemediationPolicy invalid =
        TestingPolicies.quick("invalid", RemediationPolicySpec.Mode.DryRun, flink.url().toString());
    invalid.getSpec().remedies.maxStepFactor = 1.0;
    client.resource(invalid).create();
    client
        .resource(
            TestingPolicies.quick(
                "report", RemediationPolicySpec.Mode.DryRun, flink.url().toString()))
        .create();
    startOperator();

    Await.until(
        "a diagnosis from the good policy",
        () ->
            client
                .resources(RemediationPolicy.class)
                .inNamespace("default")
                .withName("report")
                .get(),
        p ->
            p.getStatus() != null
                && !p.getStatus().deployments.isEmpty()
                && p.getStatus().deployments.get(0).lastDiagnosis != null
                && p.getStatus().deployments.get(0).phase != DeploymentPhase.Conflict,
        WAIT);
    RemediationPolicy b =
        Await.until(
            "Ready=False on the broken policy",
            () ->
                client
                    .resources(RemediationPolicy.class)
                    .inNamespace("default")
                    .withName("broken")
                    .get(),
            p -> p.getStatus() != null && !p.getStatus().conditions.isEmpty(),
            WAIT);
    assertThat(b.getStatus().conditions)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getReason()).isEqualTo("InvalidSpec");
              assertThat(c.getMessage()).contains("spec.selector.matchExpressions[0].operator");
            });
  }
}
