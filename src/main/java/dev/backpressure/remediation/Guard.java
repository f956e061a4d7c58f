package dev.backpressure.remediation;

import dev.backpressure.diagnosis.Cause;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Durations;
import dev.backpressure.diagnosis.Numbers;
import dev.backpressure.flink.FailureSign;
import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobState;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Decides whether a plan may run now and, for a change in flight, whether it is verified, still
 * settling, or must be rolled back (the README's "What a change goes through"). Pure: the time, the
 * remembered state and what was observed come in; a {@link Decision} with the next state comes out.
 */
public final class Guard {

  /** How recent a startup failure must be to count as the job's present state. */
  static final Duration FAILING_LOOKBACK = Duration.ofMinutes(5);

  /** Lifecycles in which the Flink operator has finished rolling out what it was given. */
  private static final Set<String> SETTLED = Set.of("STABLE", "DEPLOYED");

  private static final Predicate<String> ROLLED_OUT =
      l -> !"PENDING".equals(l) && !"UPGRADING".equals(l);

  /** The bar on any parallelism override once Flink ran without the ones it was given. */
  static final String OVERRIDES_NOT_RUN = "overrides-not-run";

  /** Restarts after a change that count as a crash loop even without a telltale exception. */
  static final int MAX_RESTARTS = 3;

  /** The least quiet after our restart settles, whatever the scrape interval. */
  private static final Duration RESTART_GRACE = Duration.ofSeconds(30);

  private Guard() {}

  /**
   * Whether a failure to read the job at {@code failedAt} is the restart our own change (or its
   * rollback) asked for: Flink's REST endpoint goes away and a restarted job has no metrics for a
   * few seconds. That is not a fault to warn about (and nothing is decided on unreadable data
   * either way). The quiet ends a grace period after the job was seen stable again, and never later
   * than the stabilization timeout after the restart began, so that a lasting outage is always
   * said.
   */
  public static boolean duringOurRestart(
      GuardState state, Instant failedAt, GuardSettings settings, Duration scrapeInterval) {
    if (state.inFlight().isEmpty()) {
      return false;
    }
    GuardState.InFlight f = state.inFlight().get();
    Duration interval3 = scrapeInterval.multipliedBy(3);
    Duration grace = interval3.compareTo(RESTART_GRACE) > 0 ? interval3 : RESTART_GRACE;
    Instant quietUntil =
        !f.undoing() && f.stableSince().isPresent()
            ? f.stableSince().get().plus(grace)
            : f.rollbackAt()
                .orElse(f.appliedAt())
                .plus(settings.stabilizationTimeout())
                .plus(grace);
    return failedAt.isBefore(quietUntil);
  }

  /**
   * One pass of the guard.
   *
   * @param diagnosis the current diagnosis, if the job could be read
   * @param plan the plan for it, if any
   * @param measures the current measures, if readable
   */
  public static Decision decide(
      Instant now,
      GuardState state,
      GuardSettings settings,
      DeploymentState deployment,
      Optional<Diagnosis> diagnosis,
      Optional<Plan> plan,
      Optional<Measures> measures) {
    if (state.inFlight().isPresent()) {
      return follow(now, state, state.inFlight().get(), settings, deployment, measures);
    }
    return consider(now, state, settings, deployment, diagnosis, plan, measures);
  }

  private static Decision consider(
      Instant now,
      GuardState state,
      GuardSettings settings,
      DeploymentState deployment,
      Optional<Diagnosis> diagnosis,
      Optional<Plan> plan,
      Optional<Measures> measures) {
    if (diagnosis.isEmpty() || plan.isEmpty() || plan.get() instanceof Plan.NoAction) {
      return Decision.of(
          Decision.Kind.NOTHING,
          plan.map(Plan::summary).orElse("no diagnosis: the job could not be read"),
          state);
    }
    if (plan.get() instanceof Plan.Advice advice) {
      return new Decision(Decision.Kind.ADVICE, advice.summary(), List.of(), state, plan);
    }
    Plan.Change change = (Plan.Change) plan.get();
    boolean failing = failingAtStartup(now, deployment, change);
    Optional<Decision.HeldBack> held =
        holdBack(now, state, settings, deployment, change, measures, failing);
    if (held.isPresent()) {
      return new Decision(
          Decision.Kind.SKIPPED,
          held.get().reason(),
          List.of(),
          state,
          plan,
          Optional.of(held.get().hold()));
    }
    if (!settings.enforce()) {
      return new Decision(
          Decision.Kind.PLANNED, "dry run: would " + change.summary(), List.of(), state, plan);
    }
    String remedy = remedyOf(change);
    String reason =
        failing
            ? "the job fails at startup for want of network buffers, so the fix cannot wait for"
                + " RUNNING and STABLE: "
                + change.summary()
            : change.summary();
    GuardState.InFlight f =
        new GuardState.InFlight(
            "change-" + now.getEpochSecond(),
            GuardState.Phase.APPLIED,
            change.cause(),
            remedy,
            change.changes(),
            now,
            Optional.empty(),
            failing ? Measures.notRunning() : measures.orElseThrow(),
            Optional.empty(),
            change.summary());
    return new Decision(Decision.Kind.APPLY, reason, change.changes(), state.withInFlight(f), plan);
  }

  /**
   * A job in a restart loop on a buffer shortage its change is meant to end: it is never RUNNING
   * and STABLE for long and has no numbers to compare, so the change goes ahead without them and
   * running at all is what it must bring. Only a network memory change qualifies; the Flink
   * operator must be done rolling out what it has.
   */
  static boolean failingAtStartup(Instant now, DeploymentState d, Plan.Change change) {
    if (change.cause() != Cause.TOO_FEW_NETWORK_BUFFERS
        || change.changes().stream().anyMatch(Guard::isParallelism)
        || !SETTLED.contains(d.lifecycleState())) {
      return false;
    }
    long since = now.minus(FAILING_LOOKBACK).toEpochMilli();
    return d.failures().stream()
        .anyMatch(
            x -> x.timestampMillis() >= since && x.shows(FailureSign.INSUFFICIENT_NETWORK_BUFFERS));
  }

  /** The first precondition that keeps a change from running now, if any. */
  static Optional<Decision.HeldBack> holdBack(
      Instant now,
      GuardState state,
      GuardSettings settings,
      DeploymentState d,
      Plan.Change change,
      Optional<Measures> measures,
      boolean failingAtStartup) {
    if (!failingAtStartup && !d.stableAndRunning()) {
      return held(
          Decision.Hold.NOT_SETTLED,
          "the deployment is "
              + d.lifecycleState()
              + " with the job "
              + d.jobState()
              + "; changes start only from RUNNING and STABLE");
    }
    Optional<GuardState.PastChange> last =
        state.history().stream().max((a, b) -> a.endedAt().compareTo(b.endedAt()));
    if (last.isPresent() && last.get().endedAt().plus(settings.cooldown()).isAfter(now)) {
      return held(
          Decision.Hold.COOLING_DOWN,
          "cooling down after the last change until "
              + last.get().endedAt().plus(settings.cooldown()));
    }
    long today =
        state.history().stream()
            .filter(p -> p.appliedAt().isAfter(now.minus(Duration.ofDays(1))))
            .count();
    if (today >= settings.maxChangesPerDay()) {
      return held(
          Decision.Hold.DAILY_BUDGET_USED,
          "the daily budget of " + settings.maxChangesPerDay() + " changes is used up");
    }
    String mode = d.upgradeMode() == null ? "stateless" : d.upgradeMode().toLowerCase(Locale.ROOT);
    if (mode.equals("stateless") && !settings.allowStateless()) {
      return held(
          Decision.Hold.STATELESS_UPGRADE,
          "upgrade mode is stateless: a restart would lose the job's state (use"
              + " savepoint or last-state, or allow stateless upgrades in the policy)");
    }
    LocalTime clock = LocalTime.ofInstant(now, ZoneOffset.UTC);
    for (GuardSettings.Window w : settings.excludedWindows()) {
      if (w.contains(clock)) {
        return held(Decision.Hold.EXCLUDED_WINDOW, "inside the excluded window " + w + " UTC");
      }
    }
    boolean parallelism = change.changes().stream().anyMatch(Guard::isParallelism);
    boolean memory = change.changes().stream().anyMatch(c -> !isParallelism(c));
    if (parallelism && d.autoscalerEnabled()) {
      return held(
          Decision.Hold.AUTOSCALER_OWNS_PARALLELISM,
          "Flink's autoscaler (job.autoscaler.enabled) owns this deployment's"
              + " parallelism: not changing it");
    }
    if (memory && d.autoscalerMemoryTuning()) {
      return held(
          Decision.Hold.AUTOSCALER_OWNS_MEMORY,
          "Flink's autoscaler memory tuning owns this deployment's memory: not" + " changing it");
    }
    String key = GuardState.barKey(change.cause(), remedyOf(change));
    Optional<GuardState.Bar> bar = state.barFor(key, now);
    if (bar.isEmpty()
        && change.changes().stream().anyMatch(c -> c.key().equals(ParallelismOverrides.KEY))) {
      bar = state.barFor(OVERRIDES_NOT_RUN, now);
    }
    if (bar.isPresent() && bar.get().outcome() == GuardState.Outcome.NOT_TAKEN) {
      return held(
          Decision.Hold.NOT_RUN_LAST_TIME,
          "Flink did not run the last change of this kind ("
              + bar.get().reason()
              + "); not trying one again until "
              + bar.get().until());
    }
    if (bar.isPresent()) {
      return held(
          Decision.Hold.BARRED,
          "this remedy was rolled back ("
              + bar.get().reason()
              + ") and is barred"
              + " until "
              + bar.get().until());
    }
    if (!failingAtStartup && measures.isEmpty()) {
      return held(
          Decision.Hold.UNMEASURABLE,
          "the job's backpressure and throughput cannot be read, so a change could"
              + " not be judged");
    }
    return Optional.empty();
  }

  private static Optional<Decision.HeldBack> held(Decision.Hold hold, String reason) {
    return Optional.of(new Decision.HeldBack(hold, reason));
  }

  private static Decision follow(
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
            overrides ? OVERRIDES_NOT_RUN : GuardState.barKey(f.cause(), f.remedy()),
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
    if (!ROLLED_OUT.test(d.lifecycleState())) {
      // Until the Flink operator takes the change up, what fails is the job from before it.
      return Optional.empty();
    }
    if ("FAILED".equals(d.lifecycleState()) || d.jobState() == JobState.FAILED) {
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
    if (since.size() >= MAX_RESTARTS) {
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

  static boolean isParallelism(SettingChange c) {
    return RemedyKind.of(c) == RemedyKind.SCALING;
  }

  /**
   * A name for the kind of change, stable across passes: part of the key a failure is barred by.
   */
  static String remedyOf(Plan.Change change) {
    Set<RemedyKind> kinds = EnumSet.noneOf(RemedyKind.class);
    change.changes().forEach(c -> kinds.add(RemedyKind.of(c)));
    return kinds.stream()
        .map(
            k ->
                k == RemedyKind.SCALING
                    ? k.label() + ":" + change.target().map(v -> v.id()).orElse("job")
                    : k.label())
        .collect(Collectors.joining("+"));
  }
}
