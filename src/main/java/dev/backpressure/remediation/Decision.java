package dev.backpressure.remediation;

import java.util.List;
import java.util.Optional;

/**
 * The guard's answer for one pass: what to do now, why, and the state to remember afterwards.
 * {@code patch} holds the values to write (the plan's new values, or on a rollback the values they
 * replaced); it is empty unless {@code kind} is {@link Kind#APPLY} or {@link Kind#ROLL_BACK}.
 * {@code hold} says which precondition held a plan back, only when {@code kind} is {@link
 * Kind#SKIPPED}: what follows from it (the event's reason) never depends on the wording.
 */
public record Decision(
    Kind kind,
    String reason,
    List<SettingChange> patch,
    GuardState next,
    Optional<Plan> plan,
    Optional<Hold> hold) {

  public Decision {
    patch = List.copyOf(patch);
  }

  public Decision(
      Kind kind, String reason, List<SettingChange> patch, GuardState next, Optional<Plan> plan) {
    this(kind, reason, patch, next, plan, Optional.empty());
  }

  /** The preconditions that hold a plan back, in the order the guard checks them. */
  public enum Hold {
    NOT_SETTLED,
    COOLING_DOWN,
    DAILY_BUDGET_USED,
    STATELESS_UPGRADE,
    EXCLUDED_WINDOW,
    AUTOSCALER_OWNS_PARALLELISM,
    AUTOSCALER_OWNS_MEMORY,
    NOT_RUN_LAST_TIME,
    BARRED,
    UNMEASURABLE;

    /** Whether Flink's own autoscaler, not this operator, decides here. */
    public boolean autoscaler() {
      return this == AUTOSCALER_OWNS_PARALLELISM || this == AUTOSCALER_OWNS_MEMORY;
    }
  }

  /** A plan held back: which precondition, in words. */
  public record HeldBack(Hold hold, String reason) {}

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
