package dev.backpressure.operator;

import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.remediation.Decision;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/** The operator's own Prometheus metrics (JOSDK adds its reconciliation metrics beside these). */
public final class OperatorMetrics {

  private final MeterRegistry registry;
  private final Timer scrapeDuration;

  public OperatorMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.scrapeDuration =
        Timer.builder("backpressure.scrape.duration")
            .description("Time to read one deployment's snapshot from Flink REST")
            .register(registry);
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

  void decided(Decision.Kind kind) {
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
          registry.counter("backpressure.changes", "outcome", kind.name()).increment();
      default -> {}
    }
  }

  public MeterRegistry registry() {
    return registry;
  }
}
