package dev.backpressure.remediation;

import dev.backpressure.diagnosis.Cause;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the guard remembers about one FlinkDeployment: the change in flight (with the values it
 * replaced, so a rollback is exact), recent changes (for the daily budget and the cooldown) and
 * barred remedies. Small and versioned, it is kept on the cluster (an annotation on the
 * FlinkDeployment and the policy status), so that a restarted operator resumes where it stopped.
 */
public record GuardState(Optional<InFlight> inFlight, List<PastChange> history, List<Bar> barred) {

  /** The version of the serialized form; a reader refuses any other. */
  public static final int VERSION = 1;

  /** History older than this is forgotten: it no longer counts for the budget or cooldown. */
  static final Duration HISTORY_KEPT = Duration.ofDays(1);

  public GuardState {
    history = List.copyOf(history);
    barred = List.copyOf(barred);
  }

  public static GuardState initial() {
    return new GuardState(Optional.empty(), List.of(), List.of());
  }

  /** Where a change in flight is. */
  public enum Phase {
    /** Patched; waiting for the Flink operator to restart the job and report it stable. */
    APPLIED,
    /** Running and stable since {@link InFlight#stableSince}; watched until the window ends. */
    VERIFYING,
    /** The previous values were patched back; waiting for the job to be stable again. */
    ROLLING_BACK,
    /**
     * Flink did not run the change although it was rolled out; the previous values were patched
     * back and the job is waited for, as in a rollback.
     */
    RESTORING
  }

  /** How a change ended. */
  public enum Outcome {
    VERIFIED,
    ROLLED_BACK,
    /** Someone else changed the same keys meanwhile: left as they are, nothing rolled back. */
    ABANDONED,
    /** Flink ran something else than the change: never tried, so restored without a verdict. */
    NOT_TAKEN
  }

  /**
   * A change that was applied and is not judged yet.
   *
   * @param remedy what kind of change it is ("scale:<vertexId>", "network-memory", …); with the
   *     cause, the key under which a failed change is barred
   * @param changes every value changed, with the value it replaced
   * @param baseline the measures just before the change
   */
  public record InFlight(
      String id,
      Phase phase,
      Cause cause,
      String remedy,
      List<SettingChange> changes,
      Instant appliedAt,
      Optional<Instant> stableSince,
      Measures baseline,
      Optional<Instant> rollbackAt,
      String reason) {
    public InFlight {
      changes = List.copyOf(changes);
    }

    InFlight verifying(Instant since) {
      return new InFlight(
          id,
          Phase.VERIFYING,
          cause,
          remedy,
          changes,
          appliedAt,
          Optional.of(since),
          baseline,
          rollbackAt,
          reason);
    }

    InFlight rollingBack(Instant at, String why) {
      return undoing(Phase.ROLLING_BACK, at, why);
    }

    InFlight restoring(Instant at, String why) {
      return undoing(Phase.RESTORING, at, why);
    }

    /** Whether the previous values were written back and the job is awaited on them. */
    public boolean undoing() {
      return phase == Phase.ROLLING_BACK || phase == Phase.RESTORING;
    }

    private InFlight undoing(Phase phase, Instant at, String why) {
      return new InFlight(
          id,
          phase,
          cause,
          remedy,
          changes,
          appliedAt,
          stableSince,
          baseline,
          Optional.of(at),
          why);
    }
  }

  /** A change that ended, and how. */
  public record PastChange(
      String id,
      Cause cause,
      String remedy,
      Instant appliedAt,
      Instant endedAt,
      Outcome outcome,
      String reason) {}

  /**
   * A cause and remedy not to try again on this deployment before {@code until}.
   *
   * @param outcome why: {@link Outcome#ROLLED_BACK} (it did not help or broke the job) or {@link
   *     Outcome#NOT_TAKEN} (Flink did not run it, and would likely not again)
   */
  public record Bar(String key, Instant until, String reason, Outcome outcome) {
    public Bar(String key, Instant until, String reason) {
      this(key, until, reason, Outcome.ROLLED_BACK);
    }
  }

  public static String barKey(Cause cause, String remedy) {
    return cause.name() + "/" + remedy;
  }

  public Optional<Bar> barFor(String key, Instant now) {
    return barred.stream().filter(b -> b.key().equals(key) && b.until().isAfter(now)).findFirst();
  }

  GuardState withInFlight(InFlight f) {
    return new GuardState(Optional.of(f), history, barred);
  }

  /** Ends the change in flight, keeping only what still matters at {@code now}. */
  GuardState ended(Instant now, Outcome outcome, String reason, Optional<Bar> bar) {
    InFlight f = inFlight.orElseThrow();
    List<PastChange> h = new ArrayList<>();
    for (PastChange p : history) {
      if (p.endedAt().isAfter(now.minus(HISTORY_KEPT))) {
        h.add(p);
      }
    }
    h.add(new PastChange(f.id(), f.cause(), f.remedy(), f.appliedAt(), now, outcome, reason));
    List<Bar> b = new ArrayList<>();
    for (Bar x : barred) {
      if (x.until().isAfter(now)) {
        b.add(x);
      }
    }
    bar.ifPresent(b::add);
    return new GuardState(Optional.empty(), h, b);
  }

  GuardState barring(Bar bar) {
    List<Bar> b = new ArrayList<>(barred);
    b.add(bar);
    return new GuardState(inFlight, history, b);
  }
}
