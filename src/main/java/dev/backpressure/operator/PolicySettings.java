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
import java.util.LinkedHashMap;
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

  /**
   * The Flink operator's REST service, by its full name: a shorter one goes through the DNS search
   * path, where a name another tenant controls can answer first.
   */
  public static final String DEFAULT_REST_URL =
      "http://{name}-rest.{namespace}.svc.cluster.local:8081";

  /** The settings, or every problem found (not just the first). */
  public record Parsed(Optional<PolicySettings> settings, List<String> problems) {}

  /**
   * The age after which a snapshot leaves a job's window: twice the time the window spans, so that
   * a few missed scrapes do not empty it.
   */
  public Duration windowMaxAge() {
    return scrapeInterval.multipliedBy(windowSize * 2L);
  }

  public static Parsed parse(RemediationPolicySpec spec) {
    if (spec == null) {
      return new Parsed(Optional.empty(), List.of("spec is missing"));
    }
    // The bounds the CRD declares, then what a schema cannot say; a field already refused by the
    // first is not judged again by the second.
    List<String> problems = new ArrayList<>(SchemaCheck.problems(spec));
    problems.addAll(Selectors.problems(spec.selector, "spec.selector"));
    boolean enforce = spec.mode == RemediationPolicySpec.Mode.Enforce;
    if (enforce && spec.selector != null && !Selectors.selectsByLabel(spec.selector)) {
      problems.add(
          "an Enforce policy must select FlinkDeployments by label (spec.selector.matchLabels, or"
              + " a matchExpressions entry with In or Exists): a selector without one would change"
              + " every FlinkDeployment in the namespace it does not exclude");
    }
    Duration interval = duration(spec.scrapeInterval, "spec.scrapeInterval", problems);
    if (interval != null && interval.compareTo(Duration.ofSeconds(1)) < 0) {
      problems.add("spec.scrapeInterval must be at least 1s, got " + spec.scrapeInterval);
    }
    Detection d = spec.detection == null ? new Detection() : spec.detection;
    Thresholds thresholds = Thresholds.DEFAULTS;
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("backPressuredMsPerSecond", d.backPressuredMsPerSecond);
    t.put("busyMsPerSecond", d.busyMsPerSecond);
    t.put("sustainSamples", d.sustainSamples);
    t.put("sustainDuration", d.sustainDuration);
    for (Map.Entry<String, Object> e : t.entrySet()) {
      if (e.getValue() == null || refused(problems, "spec.detection." + e.getKey())) {
        continue;
      }
      try {
        thresholds = thresholds.with(Map.of(e.getKey(), String.valueOf(e.getValue())));
      } catch (IllegalArgumentException ex) {
        problems.add("spec.detection." + ex.getMessage().replace("threshold ", ""));
      }
    }
    int window = d.windowSize == null ? 10 : d.windowSize;
    if (d.sustainSamples != null
        && d.sustainSamples > window
        && !refused(problems, "spec.detection.sustainSamples")
        && !refused(problems, "spec.detection.windowSize")) {
      problems.add(
          "spec.detection.sustainSamples ("
              + d.sustainSamples
              + ") must not exceed windowSize ("
              + window
              + ")");
    }

    Remedies r = spec.remedies == null ? new Remedies() : spec.remedies;
    MemorySize maxNetwork = null;
    if (r.maxNetworkMemory != null && !refused(problems, "spec.remedies.maxNetworkMemory")) {
      try {
        maxNetwork = MemorySize.parse(r.maxNetworkMemory);
      } catch (IllegalArgumentException e) {
        problems.add("spec.remedies.maxNetworkMemory: " + e.getMessage());
      }
    }

    GuardSpec g = spec.guard == null ? new GuardSpec() : spec.guard;
    Duration cooldown = duration(g.cooldown, "spec.guard.cooldown", problems);
    Duration stabilization =
        duration(g.stabilizationTimeout, "spec.guard.stabilizationTimeout", problems);
    Duration verification =
        duration(g.verificationWindow, "spec.guard.verificationWindow", problems);
    Duration barFor = duration(g.barFor, "spec.guard.barFor", problems);
    List<GuardSettings.Window> windows = new ArrayList<>();
    List<String> excluded = g.excludedWindows == null ? List.of() : g.excludedWindows;
    for (int i = 0; i < excluded.size(); i++) {
      try {
        windows.add(GuardSettings.Window.parse(String.valueOf(excluded.get(i))));
      } catch (IllegalArgumentException e) {
        problems.add("spec.guard.excludedWindows[" + i + "]: " + e.getMessage());
      }
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

  /** Longer than any setting means: past it, time arithmetic can overflow. */
  private static final Duration LONGEST = Duration.ofDays(365);

  private static Duration duration(String text, String field, List<String> problems) {
    if (text == null || refused(problems, field)) {
      return null;
    }
    try {
      Duration d = Durations.parse(text, field);
      if (d.isNegative() || d.compareTo(LONGEST) > 0) {
        problems.add(field + " must be at most 8760h (a year), got " + text);
        return null;
      }
      return d;
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
      return null;
    }
  }

  /** Whether a problem with this field is already listed. */
  private static boolean refused(List<String> problems, String field) {
    return problems.stream().anyMatch(p -> p.startsWith(field + " ") || p.startsWith(field + ":"));
  }
}
