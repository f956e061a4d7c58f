package dev.backpressure.operator;

import dev.backpressure.api.DeploymentPhase;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.remediation.Decision;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operator's own Prometheus metrics (JOSDK adds its reconciliation metrics beside these): the
 * operator's work, and per governed deployment (labelled namespace, deployment, policy) where it
 * stands, so that a dashboard or an alert can name the job. A deployment's series go when it leaves
 * its policy.
 */
public final class OperatorMetrics {

  private final MeterRegistry registry;
  private final Timer scrapeDuration;

  /** Per deployment (namespace/name/policy): its last figures, read by the gauges. */
  private final Map<String, Standing> standing = new ConcurrentHashMap<>();

  /** What the gauges of one deployment show. */
  private static final class Standing {
    final Tags tags;
    volatile double backPressure = Double.NaN;
    volatile double busy = Double.NaN;
    volatile DeploymentPhase phase;
    final List<Meter> meters = new ArrayList<>();

    Standing(Tags tags) {
      this.tags = tags;
    }
  }

  public OperatorMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.scrapeDuration =
        Timer.builder("backpressure.scrape.duration")
            .description("Time to read one deployment's snapshot from Flink REST")
            .publishPercentileHistogram()
            .register(registry);
  }

  /**
   * Where one governed deployment stands after a pass: its worst backpressure and its bottleneck's
   * busy time (NaN when unread) and its phase (1 for the phase it is in, 0 for the others).
   */
  void deployment(
      String namespace,
      String name,
      String policy,
      DeploymentPhase phase,
      double backPressure,
      double busy) {
    Standing s =
        standing.computeIfAbsent(
            namespace + "/" + name + "/" + policy,
            k -> register(Tags.of("namespace", namespace, "deployment", name, "policy", policy)));
    s.backPressure = backPressure;
    s.busy = busy;
    s.phase = phase;
  }

  /** Drops the series of the policy's deployments that this pass did not govern. */
  void governing(String namespace, String policy, Set<String> names) {
    standing
        .entrySet()
        .removeIf(
            e -> {
              Tags t = e.getValue().tags;
              boolean gone =
                  namespace.equals(tag(t, "namespace"))
                      && policy.equals(tag(t, "policy"))
                      && !names.contains(tag(t, "deployment"));
              if (gone) {
                e.getValue().meters.forEach(registry::remove);
                registry.find("backpressure.changes").tags(t).meters().forEach(registry::remove);
              }
              return gone;
            });
  }

  private Standing register(Tags tags) {
    Standing s = new Standing(tags);
    s.meters.add(
        Gauge.builder("backpressure.deployment.backpressure", s, x -> x.backPressure)
            .description("Worst backpressure of the deployment's job in its latest read, ms/s")
            .baseUnit("milliseconds.per.second")
            .tags(tags)
            .register(registry));
    s.meters.add(
        Gauge.builder("backpressure.deployment.bottleneck.busy", s, x -> x.busy)
            .description("Busy time of the bottleneck's busiest subtask in the latest read, ms/s")
            .baseUnit("milliseconds.per.second")
            .tags(tags)
            .register(registry));
    for (DeploymentPhase p : DeploymentPhase.values()) {
      s.meters.add(
          Gauge.builder("backpressure.deployment.phase", s, x -> x.phase == p ? 1 : 0)
              .description("1 for the phase the deployment is in, 0 for the others")
              .tags(tags.and("phase", p.name()))
              .register(registry));
    }
    return s;
  }

  private static String tag(Tags tags, String key) {
    return tags.stream()
        .filter(t -> t.getKey().equals(key))
        .findFirst()
        .map(Tag::getValue)
        .orElse("");
  }

  void scraped(Duration took, Diagnosis d) {
    scrapeDuration.record(took);
    if (d.symptom().sustained()) {
      registry.counter("backpressure.diagnoses", "cause", d.cause().name()).increment();
    }
  }

  void standbyPoll() {
    registry.counter("backpressure.scrape.standby").increment();
  }

  void scrapeFailed(String reason) {
    registry.counter("backpressure.scrape.failures", "reason", reason).increment();
  }

  void decided(Decision.Kind kind, String namespace, String deployment, String policy) {
    switch (kind) {
      case APPLY,
              VERIFIED,
              ROLL_BACK,
              NOT_TAKEN,
              ROLLED_BACK,
              RESTORED,
              CONFLICT,
              PLANNED,
              SKIPPED ->
          registry
              .counter(
                  "backpressure.changes",
                  "outcome",
                  kind.name(),
                  "namespace",
                  namespace,
                  "deployment",
                  deployment,
                  "policy",
                  policy)
              .increment();
      default -> {}
    }
  }

  public MeterRegistry registry() {
    return registry;
  }
}
