package dev.backpressure.operator;

import dev.backpressure.api.Detection;
import dev.backpressure.api.GuardSpec;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.api.Remedies;
import dev.backpressure.diagnosis.Durations;
import dev.backpressure.diagnosis.Thresholds;
import dev.backpressure.remediation.GuardSettings;
import dev.backpressure.remediation.MemorySize;
import dev.backpressure.remediation.RemedyLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A policy's spec turned into the typed settings of the core, or the list of what is wrong with it.
 * The CRD schema refuses most bad values at admission; this is the second line for what the schema
 * cannot express (and for clusters that skip validation), and its messages say what to change. The
 * REST address template is checked against the operator's allowed hosts by {@link RestAddresses}.
 */
public record PolicySettings(
    boolean enforce,
    Duration scrapeInterval,
    int windowSize,
    Thresholds thresholds,
    RemedyLimits limits,
    Remedies remedies,
    GuardSettings guard,
    String restUrlTemplate) {

  public static final String DEFAULT_REST_URL = "http://{name}-rest.{namespace}.svc:8081";

  /** The settings, or every problem found (not just the first). */
  public record Parsed(Optional<PolicySettings> settings, List<String> problems) {}

  public static Parsed parse(RemediationPolicySpec spec) {
    List<String> problems = new ArrayList<>();
    if (spec == null) {
      return new Parsed(Optional.empty(), List.of("spec is missing"));
    }
    if (spec.selector == null) {
      problems.add("spec.selector is required: say which FlinkDeployments the policy governs");
    }
    boolean enforce = spec.mode == RemediationPolicySpec.Mode.Enforce;
    if (enforce
        && spec.selector != null
        && (spec.selector.getMatchLabels() == null || spec.selector.getMatchLabels().isEmpty())
        && (spec.selector.getMatchExpressions() == null
            || spec.selector.getMatchExpressions().isEmpty())) {
      problems.add(
          "an Enforce policy must select FlinkDeployments by label (spec.selector.matchLabels):"
              + " an empty selector would change every FlinkDeployment in the namespace");
    }
    Duration interval = duration(spec.scrapeInterval, "spec.scrapeInterval", problems);
    if (interval != null && interval.compareTo(Duration.ofSeconds(1)) < 0) {
      problems.add("spec.scrapeInterval must be at least 1s, got " + spec.scrapeInterval);
    }
    Detection d = spec.detection == null ? new Detection() : spec.detection;
    Thresholds thresholds = Thresholds.DEFAULTS;
    Map<String, String> t = new HashMap<>();
    t.put("backPressuredMsPerSecond", String.valueOf(d.backPressuredMsPerSecond));
    t.put("busyMsPerSecond", String.valueOf(d.busyMsPerSecond));
    t.put("sustainSamples", String.valueOf(d.sustainSamples));
    t.put("sustainDuration", String.valueOf(d.sustainDuration));
    for (Map.Entry<String, String> e : t.entrySet()) {
      try {
        thresholds = thresholds.with(Map.of(e.getKey(), e.getValue()));
      } catch (IllegalArgumentException ex) {
        problems.add("spec.detection." + ex.getMessage().replace("threshold ", ""));
      }
    }
    int window = d.windowSize == null ? 10 : d.windowSize;
    if (window < 2 || window > 100) {
      problems.add("spec.detection.windowSize must be in [2, 100], got " + window);
    }
    if (d.sustainSamples != null && d.sustainSamples > window) {
      problems.add(
          "spec.detection.sustainSamples ("
              + d.sustainSamples
              + ") must not exceed windowSize ("
              + window
              + ")");
    }

    Remedies r = spec.remedies == null ? new Remedies() : spec.remedies;
    MemorySize maxNetwork = null;
    try {
      maxNetwork = MemorySize.parse(r.maxNetworkMemory);
    } catch (IllegalArgumentException e) {
      problems.add("spec.remedies.maxNetworkMemory: " + e.getMessage());
    }
    if (r.maxStepFactor == null || r.maxStepFactor <= 1.0) {
      problems.add("spec.remedies.maxStepFactor must be more than 1, got " + r.maxStepFactor);
    }
    if (r.targetUtilization == null || r.targetUtilization <= 0 || r.targetUtilization > 1) {
      problems.add("spec.remedies.targetUtilization must be in (0, 1], got " + r.targetUtilization);
    }
    if (r.maxParallelism == null || r.maxParallelism < 1) {
      problems.add("spec.remedies.maxParallelism must be at least 1, got " + r.maxParallelism);
    }

    GuardSpec g = spec.guard == null ? new GuardSpec() : spec.guard;
    Duration cooldown = duration(g.cooldown, "spec.guard.cooldown", problems);
    Duration stabilization =
        duration(g.stabilizationTimeout, "spec.guard.stabilizationTimeout", problems);
    Duration verification =
        duration(g.verificationWindow, "spec.guard.verificationWindow", problems);
    Duration barFor = duration(g.barFor, "spec.guard.barFor", problems);
    List<GuardSettings.Window> windows = new ArrayList<>();
    for (String w : g.excludedWindows == null ? List.<String>of() : g.excludedWindows) {
      try {
        windows.add(GuardSettings.Window.parse(w));
      } catch (IllegalArgumentException e) {
        problems.add("spec.guard.excludedWindows: " + e.getMessage());
      }
    }
    if (g.minImprovement == null || g.minImprovement < 0 || g.minImprovement > 1) {
      problems.add("spec.guard.minImprovement must be in [0, 1], got " + g.minImprovement);
    }
    if (g.maxThroughputDrop == null || g.maxThroughputDrop < 0 || g.maxThroughputDrop > 1) {
      problems.add("spec.guard.maxThroughputDrop must be in [0, 1], got " + g.maxThroughputDrop);
    }
    if (g.maxChangesPerDay == null || g.maxChangesPerDay < 0) {
      problems.add("spec.guard.maxChangesPerDay must be 0 or more, got " + g.maxChangesPerDay);
    }
    String template =
        spec.restUrlTemplate == null || spec.restUrlTemplate.isBlank()
            ? DEFAULT_REST_URL
            : spec.restUrlTemplate.trim();
    if (!problems.isEmpty()) {
      return new Parsed(Optional.empty(), problems);
    }
    RemedyLimits limits =
        new RemedyLimits(
            r.maxParallelism,
            r.maxStepFactor,
            r.targetUtilization,
            maxNetwork,
            Boolean.TRUE.equals(r.allowTaskManagerMemoryGrowth),
            Boolean.TRUE.equals(r.cyclicBufferFix),
            Boolean.TRUE.equals(r.scaleForSerialization));
    GuardSettings guard =
        new GuardSettings(
            enforce,
            cooldown,
            g.maxChangesPerDay,
            stabilization,
            verification,
            g.minImprovement,
            g.maxThroughputDrop,
            Boolean.TRUE.equals(g.allowStatelessUpgrades),
            barFor,
            windows);
    return new Parsed(
        Optional.of(
            new PolicySettings(enforce, interval, window, thresholds, limits, r, guard, template)),
        List.of());
  }

  private static Duration duration(String text, String field, List<String> problems) {
    try {
      return Durations.parse(text, field);
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
      return null;
    }
  }
}
