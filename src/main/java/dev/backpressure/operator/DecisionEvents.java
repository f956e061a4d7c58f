package dev.backpressure.operator;

import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Evidence;
import dev.backpressure.remediation.Decision;
import dev.backpressure.remediation.Plan;
import dev.backpressure.remediation.SettingChange;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The events a pass's decision gives: which reason, what words, and whether the policy gets it too
 * (changes do; a cluster's operators follow the policy, its owners the deployment). Pure, so each
 * decision's events are tested as a table.
 */
final class DecisionEvents {

  private DecisionEvents() {}

  /**
   * One event.
   *
   * @param subject what makes two notices one event series: the words, but for a diagnosis its
   *     cause and vertex (its figures change every pass)
   * @param onPolicyToo also recorded on the policy, prefixed with the deployment's name
   */
  record Notice(EventReason reason, String subject, String message, boolean onPolicyToo) {
    static Notice deployment(EventReason reason, String message) {
      return new Notice(reason, message, message, false);
    }

    static Notice both(EventReason reason, String message) {
      return new Notice(reason, message, message, true);
    }
  }

  static List<Notice> of(Decision d, Optional<Diagnosis> diagnosis) {
    List<Notice> out = new ArrayList<>();
    diagnosis
        .filter(x -> x.symptom().sustained())
        .ifPresent(
            x ->
                out.add(
                    new Notice(
                        EventReason.BackpressureDiagnosed,
                        x.cause() + x.bottleneck().map(v -> " at " + v.id()).orElse(""),
                        words(x),
                        false)));
    switch (d.kind()) {
      case PLANNED -> out.add(Notice.both(EventReason.ChangePlanned, d.reason() + planned(d)));
      case ADVICE -> out.add(Notice.deployment(EventReason.AdviceOnly, d.reason() + advice(d)));
      case SKIPPED ->
          out.add(
              Notice.deployment(
                  d.hold().filter(Decision.Hold::autoscaler).isPresent()
                      ? EventReason.AutoscalerOwnsParallelism
                      : EventReason.ChangeSkipped,
                  d.reason()));
      case APPLY ->
          out.add(Notice.both(EventReason.ChangeApplied, d.reason() + ": " + patch(d.patch())));
      case VERIFIED -> out.add(Notice.both(EventReason.ChangeVerified, d.reason()));
      case ROLL_BACK, NOT_TAKEN ->
          out.add(
              Notice.both(
                  d.kind() == Decision.Kind.ROLL_BACK
                      ? EventReason.ChangeRolledBack
                      : EventReason.ChangeNotTaken,
                  d.reason() + "; restoring " + patch(d.patch())));
      case ROLLED_BACK -> out.add(Notice.deployment(EventReason.RollbackCompleted, d.reason()));
      case RESTORED -> out.add(Notice.deployment(EventReason.RestoreCompleted, d.reason()));
      case CONFLICT -> out.add(Notice.both(EventReason.ConflictingEdit, d.reason()));
      case NOTHING, WAITING -> {}
    }
    return out;
  }

  /** A sustained diagnosis in one line: the cause, where, how sure, the first evidence. */
  static String words(Diagnosis x) {
    return x.cause().title()
        + x.bottleneck().map(v -> " at '" + v.name() + "'").orElse("")
        + String.format(Locale.ROOT, " (confidence %.2f): ", x.confidence())
        + x.evidence().stream().limit(4).map(Evidence::describe).collect(Collectors.joining("; "));
  }

  private static String patch(List<SettingChange> changes) {
    return changes.stream().map(SettingChange::describe).collect(Collectors.joining("; "));
  }

  private static String planned(Decision d) {
    return d.plan()
        .filter(p -> p instanceof Plan.Change)
        .map(p -> ": " + patch(((Plan.Change) p).changes()))
        .orElse("");
  }

  private static String advice(Decision d) {
    return d.plan()
        .filter(p -> p instanceof Plan.Advice)
        .map(p -> ": " + String.join("; ", ((Plan.Advice) p).actions()))
        .orElse("");
  }
}
