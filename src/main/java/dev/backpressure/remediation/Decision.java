package dev.backpressure.remediation;

import java.util.List;
import java.util.Optional;

/**
 * The guard's answer for one pass: what to do now, why, and the state to remember afterwards.
 * {@code patch} holds the values to write (the plan's new values, or on a rollback the values they
 * replaced); it is empty unless {@code kind} is {@link Kind#APPLY} or {@link Kind#ROLL_BACK}.
 */
public record Decision(
    Kind kind, String reason, List<SettingChange> patch, GuardState next, Optional<Plan> plan) {

  public Decision {
    patch = List.copyOf(patch);
  }

  /** Each kind maps to one event reason and one condition change in the report step. */
  public enum Kind {
    /** Nothing to do (healthy, transient, or no plan). */
    NOTHING,
    /** A plan exists but the policy is a dry run: report it, change nothing. */
    PLANNED,
    /** No configuration fixes this: report the advice. */
    ADVICE,
    /** A plan exists but a precondition holds it back (the reason says which). */
    SKIPPED,
    /** Patch these values now. */
    APPLY,
    /** A change is in flight: restarting, or being verified. */
    WAITING,
    /** The change helped: it stays. */
    VERIFIED,
    /** The change did not help or broke the job: patch the previous values back. */
    ROLL_BACK,
    /**
     * Flink does not run what the change set (the rollout was reported done): patch the previous
     * values back, without judging the change.
     */
    NOT_TAKEN,
    /** A rollback completed: the job runs again on the previous values. */
    ROLLED_BACK,
    /** A restore after {@link #NOT_TAKEN} completed: the previous values run; nothing judged. */
    RESTORED,
    /** Someone else changed the same keys: stop, touch nothing, say so. */
    CONFLICT
  }

  static Decision of(Kind kind, String reason, GuardState next) {
    return new Decision(kind, reason, List.of(), next, Optional.empty());
  }
}
