package dev.backpressure.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** Detection thresholds (the classifier's thresholds, as a policy sets them). */
@ValidationRule(
    value = "self.sustainSamples <= self.windowSize",
    message = "sustainSamples must not exceed windowSize")
public class Detection {

  @Default("500")
  @Min(1)
  @Max(1000)
  @JsonPropertyDescription(
      "ms per second a subtask waits on output buffers to count as backpressured.")
  public Integer backPressuredMsPerSecond = 500;

  @Default("800")
  @Min(1)
  @Max(1000)
  @JsonPropertyDescription("ms per second of busy time at which a subtask counts as busy.")
  public Integer busyMsPerSecond = 800;

  @Default("3")
  @Min(1)
  @Max(100)
  @JsonPropertyDescription("Snapshots a backpressure must span to count as sustained.")
  public Integer sustainSamples = 3;

  @Default("90s")
  @Pattern(RemediationPolicySpec.DURATION)
  @JsonPropertyDescription("Time a backpressure must span to count as sustained.")
  public String sustainDuration = "90s";

  @Default("10")
  @Min(2)
  @Max(100)
  @JsonPropertyDescription("Snapshots kept per job to judge what is sustained.")
  public Integer windowSize = 10;
}
