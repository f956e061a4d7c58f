package dev.backpressure.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import java.util.ArrayList;
import java.util.List;

/** The guard's settings in a policy. */
public class GuardSpec {

  @Default("15m")
  @Pattern(RemediationPolicySpec.DURATION)
  @JsonPropertyDescription(
      "After a change is verified or rolled back, no new change before this passes.")
  public String cooldown = "15m";

  @Default("3")
  @Min(0)
  @Max(100)
  @JsonPropertyDescription("Changes applied to one deployment in any 24 hours.")
  public Integer maxChangesPerDay = 3;

  @Default("10m")
  @Pattern(RemediationPolicySpec.DURATION)
  @JsonPropertyDescription(
      "The deployment must be RUNNING and STABLE again within this, or the change is rolled back.")
  public String stabilizationTimeout = "10m";

  @Default("5m")
  @Pattern(RemediationPolicySpec.DURATION)
  @JsonPropertyDescription("How long a change is watched once stable before it is judged.")
  public String verificationWindow = "5m";

  @Default("0.2")
  @Min(0)
  @Max(1)
  @JsonPropertyDescription("The worst backpressure must fall by at least this share.")
  public Double minImprovement = 0.2;

  @Default("0.05")
  @Min(0)
  @Max(1)
  @JsonPropertyDescription("The sources' throughput may fall by at most this share.")
  public Double maxThroughputDrop = 0.05;

  @Default("false")
  @JsonPropertyDescription(
      "Allow changes to deployments with upgradeMode stateless (their state is lost on restart).")
  public Boolean allowStatelessUpgrades = false;

  @Default("6h")
  @Pattern(RemediationPolicySpec.DURATION)
  @JsonPropertyDescription("How long a rolled-back remedy is barred for the deployment.")
  public String barFor = "6h";

  @JsonPropertyDescription("Daily windows (UTC) in which no change starts, e.g. 22:00-06:00.")
  public List<String> excludedWindows = new ArrayList<>();
}
