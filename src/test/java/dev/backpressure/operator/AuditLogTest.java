package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.api.DeploymentPhase;
import dev.backpressure.api.DeploymentReport;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The audit trail says each thing once: when it changes, not on every pass. */
class AuditLogTest {

  @Test
  void aFirstLookSaysWhereTheDeploymentStands() {
    assertThat(AuditLog.lines(Optional.empty(), report(DeploymentPhase.Healthy, "no backpressure")))
        .containsExactly("Healthy: no backpressure");
  }

  @Test
  void anUnchangedPassSaysNothing() {
    DeploymentReport held = report(DeploymentPhase.Held, "cooling down until 10:15");
    held.lastDiagnosis = diagnosis("COMPUTE_BOTTLENECK", "heavy map");
    DeploymentReport again = report(DeploymentPhase.Held, "cooling down until 10:15");
    again.lastDiagnosis = diagnosis("COMPUTE_BOTTLENECK", "heavy map");
    again.lastDiagnosis.confidence = 0.7;
    assertThat(AuditLog.lines(Optional.of(held), again)).isEmpty();
  }

  @Test
  void aNewDiagnosisAndAnAppliedChangeAreSaidWithTheirValues() {
    DeploymentReport before = report(DeploymentPhase.Healthy, "no backpressure");
    DeploymentReport now = report(DeploymentPhase.Remediating, "scale heavy map from 2 to 4");
    now.lastDiagnosis = diagnosis("COMPUTE_BOTTLENECK", "heavy map");
    DeploymentReport.Change c = new DeploymentReport.Change();
    c.outcome = "APPLY";
    c.summary = "scale heavy map from 2 to 4";
    c.reason = "scale heavy map from 2 to 4";
    c.changes = List.of("pipeline.jobvertex-parallelism-overrides: (unset) → a1b2:4");
    now.lastChange = c;
    assertThat(AuditLog.lines(Optional.of(before), now))
        .containsExactly(
            "diagnosis: COMPUTE_BOTTLENECK at 'heavy map' (was none)",
            "change APPLY (scale heavy map from 2 to 4):"
                + " pipeline.jobvertex-parallelism-overrides: (unset) → a1b2:4",
            "Remediating: scale heavy map from 2 to 4");
  }

  @Test
  void aRollbackSaysWhyBesideWhatItRestores() {
    DeploymentReport before = report(DeploymentPhase.Verifying, "watching the change");
    DeploymentReport.Change applied = new DeploymentReport.Change();
    applied.outcome = "APPLY";
    applied.summary = "scale lookup from 1 to 2";
    applied.reason = "scale lookup from 1 to 2";
    applied.changes = List.of("pipeline.jobvertex-parallelism-overrides: (unset) → c3:2");
    before.lastChange = applied;
    DeploymentReport now = report(DeploymentPhase.RollingBack, "no improvement");
    DeploymentReport.Change rolled = new DeploymentReport.Change();
    rolled.outcome = "ROLL_BACK";
    rolled.summary = applied.summary;
    rolled.reason = "worst backpressure 1000 → 990 ms/s, needed ≤ 800";
    rolled.changes = applied.changes;
    now.lastChange = rolled;
    assertThat(AuditLog.lines(Optional.of(before), now))
        .contains(
            "change ROLL_BACK (scale lookup from 1 to 2): pipeline.jobvertex-parallelism-overrides:"
                + " (unset) → c3:2 — worst backpressure 1000 → 990 ms/s, needed ≤ 800");
  }

  private static DeploymentReport report(DeploymentPhase phase, String message) {
    DeploymentReport r = new DeploymentReport();
    r.name = "orders";
    r.phase = phase;
    r.message = message;
    return r;
  }

  private static DeploymentReport.Diagnosis diagnosis(String cause, String vertex) {
    DeploymentReport.Diagnosis d = new DeploymentReport.Diagnosis();
    d.cause = cause;
    d.vertex = vertex;
    d.confidence = 0.85;
    return d;
  }
}
