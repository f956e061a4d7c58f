package dev.backpressure.remediation;

import dev.backpressure.diagnosis.Durations;
import dev.backpressure.diagnosis.Numbers;
import dev.backpressure.flink.FailureSign;
import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;

/**
 * The guard's half that follows a change it let through: from the restart to the verdict (verified,
 * rolled back, or restored when Flink never ran it), and through the undoing. Pure, as {@link
 * Guard}.
 */
final class ChangeInFlight {

  private ChangeInFlight() {}

  static Decision follow(
      Instant now,
      GuardState state,
      GuardState.InFlight f,
      GuardSettings settings,
      DeploymentState d,
      Optional<Measures> measures) {
    if (f.undoing()) {
      boolean restoring = f.phase() == GuardState.Phase.RESTORING;
      if (d.stableAndRunning()) {
        return Decision.of(
            restoring ? Decision.Kind.RESTORED : Decision.Kind.ROLLED_BACK,
            (restoring ? "restored the previous values: " : "rolled back: ") + f.reason(),
            state.ended(
                now,
                restoring ? GuardState.Outcome.NOT_TAKEN : GuardState.Outcome.ROLLED_BACK,
                f.reason(),
                Optional.empty()));
      }
      return Decision.of(
          Decision.Kind.WAITING,
          (restoring ? "restoring" : "rolling back")
              + "; the deployment is "
              + d.lifecycleState()
              + " with the job "
              + d.jobState(),
          state);
    }
    List<String> foreign = foreignEdits(f, d);
    if (!foreign.isEmpty()) {
      String why =
          "changed by someone else meanwhile, so nothing is rolled back: "
              + String.join("; ", foreign);
      return Decision.of(
          Decision.Kind.CONFLICT,
          why,
          state.ended(now, GuardState.Outcome.ABANDONED, why, Optional.empty()));
    }
    Optional<String> broken = broken(f, d);
    if (broken.isPresent()) {
      return rollBack(now, state, f, settings, broken.get());
    }
    if (f.phase() == GuardState.Phase.APPLIED) {
      if (d.stableAndRunning()) {
        // An in-place rescale (adaptive scheduler) goes on after the Flink operator reports the
        // spec stable: the verification window starts once Flink runs the change, and a change it
        // still does not run when the stabilization timeout ends was not taken.
        Optional<String> notYet = d.running().flatMap(r -> RolloutCheck.notTaken(f, r));
        if (notYet.isPresent()) {
          if (now.isAfter(f.appliedAt().plus(settings.stabilizationTimeout()))) {
            return notTaken(now, state, f, settings, notYet.get());
          }
          return Decision.of(
              Decision.Kind.WAITING,
              "rolled out, but Flink does not run it yet ("
                  + notYet.get()
                  + "); waiting up to "
                  + Durations.format(settings.stabilizationTimeout())
                  + " after the change",
              state);
        }
        return Decision.of(
            Decision.Kind.WAITING,
            "running and stable again; verifying for "
                + Durations.format(settings.verificationWindow()),
            state.withInFlight(f.verifying(now)));
      }
      if (now.isAfter(f.appliedAt().plus(settings.stabilizationTimeout()))) {
        return rollBack(
            now,
            state,
            f,
            settings,
            "not RUNNING and STABLE within "
                + Durations.format(settings.stabilizationTimeout())
                + " ("
                + d.lifecycleState()
                + ", job "
                + d.jobState()
                + ")");
      }
      return Decision.of(
          Decision.Kind.WAITING,
          "restarting with the change (" + d.lifecycleState() + ", job " + d.jobState() + ")",
          state);
    }
    // VERIFYING
    if (!d.stableAndRunning()) {
      return rollBack(
          now,
          state,
          f,
          settings,
          "the job left RUNNING and STABLE while being"
              + " verified ("
              + d.lifecycleState()
              + ", job "
              + d.jobState()
              + ")");
    }
    Instant end = f.stableSince().orElse(now).plus(settings.verificationWindow());
    if (now.isBefore(end)) {
      return Decision.of(Decision.Kind.WAITING, "verifying until " + end, state);
    }
    if (measures.isEmpty()) {
      return Decision.of(
          Decision.Kind.WAITING,
          "verification window over, but the job's"
              + " metrics cannot be read: judging when they can",
          state);
    }
    // Asked again before the verdict: a restart since may have dropped what was taken.
    Optional<String> notTaken = d.running().flatMap(r -> RolloutCheck.notTaken(f, r));
    if (notTaken.isPresent()) {
      return notTaken(now, state, f, settings, notTaken.get());
    }
    Measures before = f.baseline();
    Measures after = measures.get();
    if (!before.jobRunning()) {
      String runs =
          "the job runs again, after failing at startup before the change: worst backpressure "
              + Numbers.format(after.worstBackPressure())
              + " ms/s, throughput "
              + Numbers.format(after.throughput())
              + " records/s";
      return Decision.of(
          Decision.Kind.VERIFIED,
          "verified: " + runs,
          state.ended(now, GuardState.Outcome.VERIFIED, runs, Optional.empty()));
    }
    double wantedBp = before.worstBackPressure() * (1 - settings.minImprovement());
    double minThroughput = before.throughput() * (1 - settings.maxThroughputDrop());
    String numbers =
        "worst backpressure "
            + Numbers.format(before.worstBackPressure())
            + " → "
            + Numbers.format(after.worstBackPressure())
            + " ms/s (needed ≤ "
            + Numbers.format(wantedBp)
            + "), throughput "
            + Numbers.format(before.throughput())
            + " → "
            + Numbers.format(after.throughput())
            + " records/s (needed ≥ "
            + Numbers.format(minThroughput)
            + ")";
    boolean improved = after.worstBackPressure() <= wantedBp;
    boolean kept = after.throughput() >= minThroughput;
    if (improved && kept) {
      return Decision.of(
          Decision.Kind.VERIFIED,
          "verified: " + numbers,
          state.ended(now, GuardState.Outcome.VERIFIED, numbers, Optional.empty()));
    }
    return rollBack(
        now,
        state,
        f,
        settings,
        (improved ? "throughput dropped: " : "backpressure" + " did not improve: ") + numbers);
  }

  /**
   * Flink runs something else than the change although the Flink operator reports it rolled out
   * (FLINK-38770 drops parallelism overrides on Flink 2.x): the change was never tried, so it is
   * not judged ineffective. The previous values are restored so that the spec says what runs, and
   * the remedy waits out the bar's time, as trying it again would most likely restart the job for
   * nothing once more. Overrides Flink ignored are ignored for every vertex: the bar then holds any
   * change of them, whichever vertex it is for.
   */
  private static Decision notTaken(
      Instant now, GuardState state, GuardState.InFlight f, GuardSettings settings, String what) {
    String why =
        "Flink does not run the change although it was rolled out: "
            + what
            + "; nothing was tried, so nothing is judged";
    boolean overrides =
        f.changes().stream().anyMatch(c -> c.key().equals(ParallelismOverrides.KEY));
    GuardState.Bar bar =
        new GuardState.Bar(
            overrides ? Guard.OVERRIDES_NOT_RUN : GuardState.barKey(f.cause(), f.remedy()),
            now.plus(settings.blacklistFor()),
            what,
            GuardState.Outcome.NOT_TAKEN);
    return new Decision(
        Decision.Kind.NOT_TAKEN,
        why,
        restoreOf(f),
        state.withInFlight(f.restoring(now, why)).barring(bar),
        Optional.empty());
  }

  private static List<SettingChange> restoreOf(GuardState.InFlight f) {
    List<SettingChange> restore = new ArrayList<>();
    for (SettingChange c : f.changes()) {
      restore.add(
          new SettingChange(c.setting(), c.key(), Optional.of(c.to()), c.from().orElse(null)));
    }
    return restore;
  }

  private static Decision rollBack(
      Instant now, GuardState state, GuardState.InFlight f, GuardSettings settings, String why) {
    List<SettingChange> restore = restoreOf(f);
    GuardState.Bar bar =
        new GuardState.Bar(
            GuardState.barKey(f.cause(), f.remedy()), now.plus(settings.blacklistFor()), why);
    return new Decision(
        Decision.Kind.ROLL_BACK,
        why,
        restore,
        state.withInFlight(f.rollingBack(now, why)).barring(bar),
        Optional.empty());
  }

  /** Keys of the change whose current value is neither what we wrote nor what we replaced. */
  private static List<String> foreignEdits(GuardState.InFlight f, DeploymentState d) {
    List<String> out = new ArrayList<>();
    for (SettingChange c : f.changes()) {
      Optional<String> now = d.current(c);
      if (!now.equals(Optional.of(c.to()))) {
        out.add(c.key() + " is " + now.orElse("(unset)") + ", we set " + c.to());
      }
    }
    return out;
  }

  /** A failure since the change that means it broke the job. */
  private static Optional<String> broken(GuardState.InFlight f, DeploymentState d) {
    if (!d.lifecycleState().rolledOut()) {
      // Until the Flink operator takes the change up, what fails is the job from before it.
      return Optional.empty();
    }
    if (d.lifecycleState() == Lifecycle.FAILED || d.jobState() == JobState.FAILED) {
      return Optional.of(
          "the job failed after the change ("
              + d.lifecycleState()
              + ", job "
              + d.jobState()
              + ")"
              + firstFailure(f, d).map(x -> ": " + x).orElse(""));
    }
    List<JobFailure> since =
        d.failures().stream()
            .filter(x -> x.timestampMillis() >= f.appliedAt().toEpochMilli())
            .toList();
    // Every sign of a job short of memory means the change broke it rather than merely not
    // helping.
    for (JobFailure x : since) {
      if (x.showsAny(EnumSet.allOf(FailureSign.class))) {
        return Optional.of("the job failed after the change: " + x.headline());
      }
    }
    if (since.size() >= Guard.MAX_RESTARTS) {
      return Optional.of(
          "the job restarted "
              + since.size()
              + " times after the change: "
              + since.get(0).headline());
    }
    return Optional.empty();
  }

  private static Optional<String> firstFailure(GuardState.InFlight f, DeploymentState d) {
    return d.failures().stream()
        .filter(x -> x.timestampMillis() >= f.appliedAt().toEpochMilli())
        .findFirst()
        .map(JobFailure::headline);
  }
}
