package dev.backpressure.operator;

import dev.backpressure.api.DeploymentPhase;
import dev.backpressure.api.DeploymentReport;
import dev.backpressure.api.RemediationPolicyStatus;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Evidence;
import dev.backpressure.remediation.Decision;
import dev.backpressure.remediation.GuardState;
import dev.backpressure.remediation.Plan;
import dev.backpressure.remediation.SettingChange;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the policy status says after a pass, from what the pass found and decided: each deployment's
 * phase and last change, and the policy's conditions. Pure, so that every mapping is tested as a
 * table rather than through the API server.
 */
final class PolicyReport {

  /** The decisions that are about a change, so the status reports that change with them. */
  private static final Set<Decision.Kind> ABOUT_A_CHANGE =
      EnumSet.of(
          Decision.Kind.APPLY,
          Decision.Kind.VERIFIED,
          Decision.Kind.ROLL_BACK,
          Decision.Kind.NOT_TAKEN,
          Decision.Kind.ROLLED_BACK,
          Decision.Kind.RESTORED,
          Decision.Kind.CONFLICT,
          Decision.Kind.PLANNED);

  private PolicyReport() {}

  /**
   * One governed deployment after a pass.
   *
   * @param overlapping left alone because another policy selects it too
   * @param unreadable the deployment or its job could not be read
   */
  record Entry(
      DeploymentReport report,
      boolean overlapping,
      boolean unreadable,
      boolean backpressured,
      boolean inFlight) {}

  /** The status of a valid policy after a pass over its deployments. */
  static RemediationPolicyStatus of(
      List<Entry> entries, long generation, String scrapeInterval, boolean enforce) {
    RemediationPolicyStatus status = new RemediationPolicyStatus();
    status.observedGeneration = generation;
    entries.forEach(e -> status.deployments.add(e.report()));
    int governed = entries.size();
    List<String> overlapping = names(entries.stream().filter(Entry::overlapping).toList());
    List<String> unreadable = names(entries.stream().filter(Entry::unreadable).toList());
    long backpressured = entries.stream().filter(Entry::backpressured).count();
    long remediating = entries.stream().filter(Entry::inFlight).count();
    status.deploymentsGoverned = governed;
    status.backpressured = (int) backpressured;
    status.remediating = (int) remediating;
    List<Condition> conditions = new ArrayList<>();
    conditions.add(
        overlapping.isEmpty()
            ? Conditions.of(
                Conditions.READY,
                true,
                governed == 0 ? Conditions.NO_DEPLOYMENTS : Conditions.WATCHING,
                governed == 0
                    ? "no FlinkDeployment matches the selector"
                    : "watching "
                        + governed
                        + " FlinkDeployment(s) every "
                        + scrapeInterval
                        + (enforce ? ", enforcing" : ", dry run"),
                generation)
            : Conditions.of(
                Conditions.READY,
                false,
                Conditions.OVERLAPPING_POLICIES,
                "selected by other policies too, left alone: " + String.join(", ", overlapping),
                generation));
    conditions.add(
        Conditions.of(
            Conditions.BACKPRESSURED,
            backpressured > 0,
            backpressured > 0 ? Conditions.SUSTAINED_BACKPRESSURE : Conditions.NO_BACKPRESSURE,
            backpressured + " of " + governed + " deployment(s) backpressured",
            generation));
    conditions.add(
        Conditions.of(
            Conditions.REMEDIATING,
            remediating > 0,
            remediating > 0 ? Conditions.CHANGE_IN_FLIGHT : Conditions.NO_CHANGE_IN_FLIGHT,
            remediating + " change(s) in flight",
            generation));
    conditions.add(
        Conditions.of(
            Conditions.DEGRADED,
            !unreadable.isEmpty(),
            unreadable.isEmpty() ? Conditions.ALL_READABLE : Conditions.FLINK_UNREADABLE,
            unreadable.isEmpty()
                ? "every governed job could be read"
                : "Flink REST or the FlinkDeployment could not be read (no action taken) for: "
                    + String.join(", ", unreadable),
            generation));
    status.conditions = conditions;
    return status;
  }

  /**
   * The status of a policy that is not valid: not ready, and what it knew of each deployment (the
   * guard record above all) kept, so that the mistake loses nothing.
   */
  static RemediationPolicyStatus invalid(PreviousStatus old, String message, long generation) {
    RemediationPolicyStatus status = new RemediationPolicyStatus();
    status.observedGeneration = generation;
    status.deployments.addAll(old.deployments());
    status.conditions =
        List.of(
            Conditions.of(Conditions.READY, false, Conditions.INVALID_SPEC, message, generation));
    return status;
  }

  static DeploymentPhase phase(Decision d, Optional<Diagnosis> diagnosis) {
    return switch (d.kind()) {
      case APPLY -> DeploymentPhase.Remediating;
      case WAITING ->
          d.next().inFlight().map(f -> inFlight(f.phase())).orElse(DeploymentPhase.Remediating);
      case VERIFIED -> DeploymentPhase.Verified;
      case ROLL_BACK -> DeploymentPhase.RollingBack;
      case NOT_TAKEN -> DeploymentPhase.Restoring;
      case ROLLED_BACK -> DeploymentPhase.RolledBack;
      case RESTORED -> DeploymentPhase.Restored;
      case CONFLICT -> DeploymentPhase.Conflict;
      case PLANNED -> DeploymentPhase.Planned;
      case ADVICE -> DeploymentPhase.Advised;
      case SKIPPED -> DeploymentPhase.Held;
      case NOTHING ->
          diagnosis.isEmpty()
              ? DeploymentPhase.Unreadable
              : diagnosis.get().symptom().sustained()
                  ? DeploymentPhase.Backpressured
                  : DeploymentPhase.Healthy;
    };
  }

  private static DeploymentPhase inFlight(GuardState.Phase phase) {
    return switch (phase) {
      case APPLIED -> DeploymentPhase.Remediating;
      case VERIFYING -> DeploymentPhase.Verifying;
      case ROLLING_BACK -> DeploymentPhase.RollingBack;
      case RESTORING -> DeploymentPhase.Restoring;
    };
  }

  /**
   * The change a decision is about. One that follows a change in flight reports that change (what
   * it set, when) with the new outcome, not the restore patch or the time of the verdict.
   */
  static Optional<DeploymentReport.Change> change(Decision d, GuardState before, Instant now) {
    if (!ABOUT_A_CHANGE.contains(d.kind())) {
      return Optional.empty();
    }
    DeploymentReport.Change c = new DeploymentReport.Change();
    Optional<GuardState.InFlight> followed = before.inFlight();
    if (followed.isPresent()) {
      c.summary = followed.get().reason();
      c.changes = followed.get().changes().stream().map(SettingChange::describe).toList();
      c.appliedAt = followed.get().appliedAt().toString();
    } else {
      List<SettingChange> planned =
          d.plan()
              .filter(p -> p instanceof Plan.Change)
              .map(p -> ((Plan.Change) p).changes())
              .orElse(List.of());
      c.summary = d.plan().map(Plan::summary).orElse(d.reason());
      c.changes =
          (d.patch().isEmpty() ? planned : d.patch())
              .stream().map(SettingChange::describe).toList();
      c.appliedAt = d.kind() == Decision.Kind.PLANNED ? null : now.toString();
    }
    c.outcome = d.kind().name();
    c.reason = d.reason();
    return Optional.of(c);
  }

  /** A diagnosis as the status shows it: rounded, its evidence capped. */
  static DeploymentReport.Diagnosis diagnosis(Diagnosis d) {
    DeploymentReport.Diagnosis r = new DeploymentReport.Diagnosis();
    r.cause = d.cause().name();
    r.vertex = d.bottleneck().map(v -> v.name()).orElse(null);
    r.confidence = Math.round(d.confidence() * 100) / 100.0;
    r.evidence = d.evidence().stream().map(Evidence::describe).limit(8).toList();
    r.time = d.at().toString();
    return r;
  }

  private static List<String> names(List<Entry> entries) {
    return entries.stream().map(e -> e.report().name).toList();
  }
}
