package dev.backpressure.operator;

import dev.backpressure.api.DeploymentPhase;
import dev.backpressure.diagnosis.Cause;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.flink.rest.ScrapeFailure;
import dev.backpressure.remediation.Decision;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
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
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The operator's own Prometheus metrics (JOSDK adds its reconciliation metrics beside these): the
 * operator's work, and per governed deployment (labelled namespace, deployment, policy) where it
 * stands, so that a dashboard or an alert can name the job. A deployment's series go when it leaves
 * its policy.
 */
public final class OperatorMetrics {

  private static final String STANDBY = "backpressure.scrape.standby";
  private static final String FAILURES = "backpressure.scrape.failures";

  /** A scrape the address rules refused: the policy's REST address points somewhere forbidden. */
  static final String REFUSED_ADDRESS = "REFUSED_ADDRESS";

  /** A scrape that failed in a way no {@link ScrapeFailure} names (a bug, not Flink's answer). */
  static final String ERROR = "ERROR";

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
    volatile Cause cause;
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
    // Counters exist from the start at zero, so that a rate or an alert sees the first failure as
    // an increase rather than as a new series.
    registry.counter(STANDBY);
    for (ScrapeFailure f : ScrapeFailure.values()) {
      registry.counter(FAILURES, "reason", f.name());
    }
    registry.counter(FAILURES, "reason", REFUSED_ADDRESS);
    registry.counter(FAILURES, "reason", ERROR);
  }

  /**
   * Where one governed deployment stands after a pass: its worst backpressure and its bottleneck's
   * busy time (NaN when unread), its phase and the cause of its latest diagnosis (1 for the one it
   * is in, 0 for the others; none is 1 while unread).
   */
  void deployment(
      String namespace,
      String name,
      String policy,
      DeploymentPhase phase,
      Optional<Cause> cause,
      double backPressure,
      double busy) {
    Standing s =
        standing.computeIfAbsent(
            namespace + "/" + name + "/" + policy,
            k -> register(Tags.of("namespace", namespace, "deployment", name, "policy", policy)));
    s.backPressure = backPressure;
    s.busy = busy;
    s.phase = phase;
    s.cause = cause.orElse(null);
  }

  /**
   * Told by JOSDK when a policy is deleted (no pass of it follows): its deployments' series go
   * then.
   */
  Metrics forgettingDeletedPolicies() {
    return new Metrics() {
      @Override
      public void cleanupDoneFor(ResourceID policy, Map<String, Object> metadata) {
        governing(policy.getNamespace().orElse(""), policy.getName(), Set.of());
      }
    };
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
    stateSet(
        s,
        "backpressure.deployment.phase",
        "phase",
        DeploymentPhase.values(),
        x -> x.phase,
        "1 for the phase the deployment is in, 0 for the others");
    stateSet(
        s,
        "backpressure.deployment.cause",
        "cause",
        Cause.values(),
        x -> x.cause,
        "1 for the cause of the deployment's latest diagnosis, 0 for the others");
    return s;
  }

  /** One gauge per value of an enum, labelled with it: 1 for the deployment's value now, else 0. */
  private <E extends Enum<E>> void stateSet(
      Standing s, String name, String label, E[] values, Function<Standing, E> now, String what) {
    for (E v : values) {
      s.meters.add(
          Gauge.builder(name, s, x -> now.apply(x) == v ? 1 : 0)
              .description(what)
              .tags(s.tags.and(label, v.name()))
              .register(registry));
    }
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
    registry.counter(STANDBY).increment();
  }

  void scrapeFailed(String reason) {
    registry.counter(FAILURES, "reason", reason).increment();
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
