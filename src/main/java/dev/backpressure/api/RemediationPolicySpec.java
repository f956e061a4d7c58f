package dev.backpressure.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LabelSelector;

/** What a policy asks for. Field defaults here match the CRD's {@code @Default}s. */
@ValidationRule(
    value =
        "self.mode != 'Enforce' || (has(self.selector.matchLabels) && size(self.selector.matchLabels) > 0) || (has(self.selector.matchExpressions) && self.selector.matchExpressions.exists(e, e.operator == 'In' || e.operator == 'Exists'))",
    message =
        "an Enforce policy must select FlinkDeployments by label (matchLabels, or a matchExpressions entry with In or Exists): a selector without one would change every FlinkDeployment in the namespace it does not exclude")
public class RemediationPolicySpec {

  /** Durations as Kubernetes writes them: a number and a unit (ms, s, m, h). */
  public static final String DURATION = "^[0-9]+(ms|s|m|h)$";

  /** Whether the policy only reports or also changes deployments. */
  public enum Mode {
    DryRun,
    Enforce
  }

  @Required
  @JsonPropertyDescription("The FlinkDeployments of this namespace the policy governs.")
  public LabelSelector selector;

  @Default("DryRun")
  @JsonPropertyDescription(
      "DryRun reports diagnoses and planned changes; Enforce also applies them.")
  public Mode mode = Mode.DryRun;

  @Default("30s")
  @Pattern(DURATION)
  @JsonPropertyDescription("How often each governed job's metrics are read.")
  public String scrapeInterval = "30s";

  @JsonPropertyDescription(
      "The Flink REST address of a deployment, with {name} and {namespace} replaced. Default: http://{name}-rest.{namespace}.svc.cluster.local:8081. Its host must be one the operator allows (Helm value allowedRestHosts).")
  public String restUrlTemplate;

  @JsonPropertyDescription("What counts as backpressure, and for how long.")
  public Detection detection = new Detection();

  @JsonPropertyDescription("Which fixes may be applied, each within its limits.")
  public Remedies remedies = new Remedies();

  @JsonPropertyDescription("When a change may start, and how it is verified or rolled back.")
  public GuardSpec guard = new GuardSpec();
}
