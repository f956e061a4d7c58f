package dev.backpressure.remediation;

import dev.backpressure.diagnosis.Cause;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.flink.FailureSign;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Decides whether a plan may run now and, for a change in flight, whether it is verified, still
 * settling, or must be rolled back (the README's "What a change goes through"). Pure: the time, the
 * remembered state and what was observed come in; a {@link Decision} with the next state comes out.
 */
public final class Guard {

  /** How recent a startup failure must be to count as the job's present state. */
  static final Duration FAILING_LOOKBACK = Duration.ofMinutes(5);

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
      return ChangeInFlight.follow(
          now, state, state.inFlight().get(), settings, deployment, measures);
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
        || !d.lifecycleState().settled()) {
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
