package dev.backpressure.bench.sidebyside;

import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.flink.rest.FlinkRestClient;
import dev.backpressure.flink.rest.SnapshotReader;
import dev.backpressure.operator.PolicySettings;
import dev.backpressure.operator.ScrapeSettings;
import dev.backpressure.remediation.TaskManagerMemoryModel;
import dev.backpressure.testing.Scenario;
import dev.backpressure.testing.ScenarioJob;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.flink.autoscaler.config.AutoScalerOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.rest.messages.job.JobDetailsInfo;

/**
 * This operator and the Flink Kubernetes Operator's autoscaler on the same real jobs: how soon each
 * decides, what, whether that reaches the cause, and how many restarts its decisions take to free
 * the job of backpressure. Each situation's job is started once and watched by this operator at a
 * policy's defaults and by the autoscaler at its defaults and at short settings; the first
 * decisions of ours and of the autoscaler at short settings are then rolled out, each on new runs
 * of the job, until the job is free of backpressure (the autoscaler at its defaults would wait 20
 * minutes a run).
 */
public final class SideBySideBenchmark {

  /** Decisions followed at most, one restart each. */
  private static final int MAX_RESTARTS = 3;

  /** How long a restarted job is watched for a verdict before it counts as still held up. */
  private static final Duration ROUND_LIMIT = Duration.ofMinutes(4);

  /** Threads for one snapshot's requests (the operator shares a pool, up to 4 per deployment). */
  private static final int REQUEST_THREADS = 4;

  /** An autoscaler error can be a stack trace of 2 KiB: enough of it to say what it was. */
  private static final int ASIDE_CHARS = 140;

  private SideBySideBenchmark() {}

  public static void main(String[] args) throws Exception {
    // [minutes per situation, from RUNNING] [deployed scenario ids, comma-separated] [at once]
    Duration limit = Duration.ofMinutes(Long.parseLong(args[0]));
    List<Scenario> scenarios = Arrays.stream(args[1].split(",")).map(Scenario::deployed).toList();
    int atOnce = Integer.parseInt(args[2]);
    requireFlinksOwnJobDetails();
    PolicySettings policy = defaultPolicy();
    System.out.printf(
        Locale.ROOT,
        "%d cores; ours: scrape every %ss, sustained over %ss; %d situation(s) at once%n",
        Runtime.getRuntime().availableProcessors(),
        policy.scrapeInterval().toSeconds(),
        policy.thresholds().sustainDuration().toSeconds(),
        atOnce);
    try {
      ExecutorService situations = Executors.newFixedThreadPool(atOnce);
      // One restarted job at a time over all situations: the machine has two cores.
      ExecutorService followUps = Executors.newSingleThreadExecutor();
      List<Future<List<Row>>> running = new ArrayList<>();
      for (Scenario s : scenarios) {
        running.add(situations.submit(() -> new Situation(s, policy, limit, followUps).run()));
      }
      List<Row> rows = new ArrayList<>();
      for (int i = 0; i < scenarios.size(); i++) {
        try {
          rows.addAll(running.get(i).get());
        } catch (ExecutionException e) {
          String id = scenarios.get(i).deployment().orElseThrow().id();
          rows.add(Row.failed(id, e.getCause(), limit));
        }
      }
      System.out.println();
      print(rows);
    } finally {
      // The MiniClusters' and the REST clients' threads are not all daemons.
      System.exit(0);
    }
  }

  /**
   * The autoscaler jar carries an older copy of Flink's JobDetailsInfo under Flink's own name. If
   * that copy is loaded, the MiniCluster's handler for GET /jobs/:id fails (NoSuchMethodError) and
   * the autoscaler would be measured broken: refuse to run instead. Flink 1.20's class has
   * getJobType; the copy has not.
   */
  private static void requireFlinksOwnJobDetails() {
    try {
      JobDetailsInfo.class.getMethod("getJobType");
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(
          "JobDetailsInfo is loaded from "
              + JobDetailsInfo.class.getProtectionDomain().getCodeSource().getLocation()
              + ", the autoscaler's copy: flink-autoscaler must come after flink-runtime on the"
              + " classpath");
    }
  }

  /**
   * A policy that sets only what it must (its selector) and turns changes on (the counterpart of
   * job.autoscaler.enabled), so that every other setting, the scrape interval and detection among
   * them, is the CRD's default, parsed as the operator parses it.
   */
  private static PolicySettings defaultPolicy() {
    RemediationPolicySpec spec = new RemediationPolicySpec();
    spec.mode = RemediationPolicySpec.Mode.Enforce;
    spec.selector =
        new LabelSelectorBuilder().withMatchLabels(Map.of("app", "side-by-side")).build();
    PolicySettings.Parsed parsed = PolicySettings.parse(spec);
    return parsed
        .settings()
        .orElseThrow(
            () -> new IllegalStateException("the default policy is refused: " + parsed.problems()));
  }

  /** One situation: its job, the three watching it, and where their decisions lead. */
  private static final class Situation {
    private final Scenario scenario;
    private final String id;
    private final PolicySettings policy;
    private final Duration limit;
    private final ExecutorService requests = daemons(REQUEST_THREADS, "flink-rest");
    private final ScheduledExecutorService loops = Executors.newScheduledThreadPool(6);
    private final ExecutorService followUps;

    Situation(Scenario scenario, PolicySettings policy, Duration limit, ExecutorService followUps) {
      this.scenario = scenario;
      this.id = scenario.deployment().orElseThrow().id();
      this.policy = policy;
      this.limit = limit;
      this.followUps = followUps;
    }

    List<Row> run() throws Exception {
      try {
        return watch();
      } finally {
        loops.shutdownNow();
        requests.shutdownNow();
      }
    }

    private List<Row> watch() throws Exception {
      Deployed initial = Deployed.initial(scenario);
      Configuration jobConfig = Configuration.fromMap(scenario.cluster().configuration());
      AutoscalerWatch defaults =
          new AutoscalerWatch(id + "-defaults", autoscalerDefaults(jobConfig));
      AutoscalerWatch quick = new AutoscalerWatch(id + "-short", autoscalerShort(jobConfig));
      Watched ours;
      Watched atDefaults;
      Watched atShort;
      Optional<Instant> onset;
      Instant running;
      try (JobRun run = JobRun.start(scenario, initial)) {
        running = run.running;
        say(run, "job RUNNING; watching for up to " + limit.toMinutes() + " min");
        BackpressureProbe probe = probe(run);
        List<ScheduledFuture<?>> looking = new ArrayList<>();
        looking.add(every(BackpressureProbe.EVERY, probe::look));
        ours =
            new Watched(
                "ours", new OperatorWatch(reader(run.restUrl()), run.job.toString(), policy));
        atDefaults = new Watched("autoscaler defaults", defaults.watching(run));
        atShort = new Watched("autoscaler short", quick.watching(run));
        for (Watched w : List.of(ours, atDefaults, atShort)) {
          looking.add(every(w.observer.every(), lookUntilDecided(w.observer)));
          w.observer.decision().thenAccept(d -> say(run, w.who + " decided: " + d.text()));
        }
        // Each first decision is rolled out on a run of its own, while the other two keep
        // watching this one. Ours is followed for one restart: after it, the operator's guard
        // verifies the change (5m by default) and then either keeps it or undoes it, and no other
        // change comes before its cooldown (15m). The autoscaler at its defaults is not followed:
        // each run would wait its stabilization and metric window (20 min) again.
        Instant deadline = running.plus(limit);
        ours.followUp = followUpOf(ours, initial, deadline, r -> Optional.empty());
        atShort.followUp =
            followUpOf(atShort, initial, deadline, r -> Optional.of(quick.watching(r)));
        awaitFirstDecisions(List.of(ours, atDefaults, atShort), deadline);
        looking.forEach(f -> f.cancel(false));
        onset = probe.onset();
        for (Watched w : List.of(ours, atDefaults, atShort)) {
          // Read now: a look in flight as the run closes would leave "connection refused".
          w.aside = w.observer.aside();
        }
      }
      List<Row> rows = new ArrayList<>();
      for (Watched w : List.of(ours, atDefaults, atShort)) {
        rows.add(row(w, running, onset));
      }
      say(running, "done");
      synchronized (SideBySideBenchmark.class) {
        print(rows);
      }
      return rows;
    }

    private CompletableFuture<FollowUp> followUpOf(
        Watched w, Deployed initial, Instant deadline, Function<JobRun, Optional<Observer>> next) {
      return w.observer
          .decision()
          .thenApplyAsync(
              first ->
                  // After the deadline the row shows no decision; an advice changes nothing.
                  first.at().isAfter(deadline) || first.apply().isEmpty()
                      ? new FollowUp(0, Ending.ADVICE, List.of())
                      : followUp(initial, first, next, w.who),
              followUps);
    }

    /**
     * Rolls the decision out on a new run and watches it, by the same judge for both, until it is
     * free of backpressure, the autoscaler decides again (then that is rolled out on the next run,
     * as the Flink operator would), or the round's time is up.
     */
    private FollowUp followUp(
        Deployed initial, Decision first, Function<JobRun, Optional<Observer>> next, String who) {
      List<String> runs = new ArrayList<>();
      Deployed deployed = initial;
      Decision decision = first;
      for (int restarts = 1; restarts <= MAX_RESTARTS; restarts++) {
        deployed = decision.apply().orElseThrow().apply(deployed);
        JobRun run;
        try {
          run = JobRun.start(scenario, deployed);
        } catch (Exception | AssertionError e) {
          runs.add("did not start: " + shorten(String.valueOf(e.getMessage())));
          return new FollowUp(restarts, Ending.HELD_UP, runs);
        }
        try (run) {
          say(run, who + ": restarted with " + decision.text());
          BackpressureProbe probe = probe(run);
          List<ScheduledFuture<?>> looking = new ArrayList<>();
          looking.add(every(BackpressureProbe.EVERY, probe::look));
          Optional<Observer> again = next.apply(run);
          again.ifPresent(o -> looking.add(every(o.every(), lookUntilDecided(o))));
          await(
              CompletableFuture.anyOf(
                  probe.settled(), again.map(Observer::decision).orElseGet(CompletableFuture::new)),
              run.running.plus(ROUND_LIMIT));
          looking.forEach(f -> f.cancel(false));
          String seen =
              !probe.everRead()
                  ? "its tasks never all ran"
                  : probe
                      .onset()
                      .map(o -> "backpressured from +" + run.secondsTo(o) + " s")
                      .orElse("no backpressure");
          if (probe.settled().isDone()) {
            runs.add("free from +" + run.secondsTo(probe.settled().join()) + " s");
            return new FollowUp(restarts, Ending.FREE, runs);
          }
          Optional<Decision> another =
              again.flatMap(o -> Optional.ofNullable(o.decision().getNow(null)));
          if (another.isEmpty()) {
            runs.add(seen + ", still after " + ROUND_LIMIT.toMinutes() + " min");
            return new FollowUp(restarts, Ending.HELD_UP, runs);
          }
          decision = another.get();
          runs.add(
              seen
                  + "; decided again at +"
                  + run.secondsTo(decision.at())
                  + " s: "
                  + decision.text());
        } catch (Exception | AssertionError e) {
          // The watch broke, or the run did not stop (AssertionError: not CANCELED in time).
          runs.add("failed: " + shorten(e.toString()));
          return new FollowUp(restarts, Ending.HELD_UP, runs);
        }
      }
      return new FollowUp(MAX_RESTARTS, Ending.STILL_DECIDING, runs);
    }

    private BackpressureProbe probe(JobRun run) {
      return new BackpressureProbe(
          rest(run.restUrl()),
          run.job.toString(),
          BackpressureProbe.HIGH,
          BackpressureProbe.CALM_FOR);
    }

    private SnapshotReader reader(URI restUrl) {
      return new SnapshotReader(rest(restUrl), requests, Clock.systemUTC());
    }

    /** A client as the operator's defaults make one: its request timeout and answer limit. */
    private static FlinkRestClient rest(URI restUrl) {
      ScrapeSettings s = ScrapeSettings.DEFAULTS;
      return new FlinkRestClient(
          FlinkRestClient.httpClient(s.requestTimeout()),
          restUrl,
          s.requestTimeout(),
          s.maxAnswerBytes());
    }

    /**
     * Runs on a fixed delay, from now, until cancelled. A task that throws is never run again,
     * which would read as a decision never made: what it threw is said instead.
     */
    private ScheduledFuture<?> every(Duration delay, Runnable look) {
      return loops.scheduleWithFixedDelay(
          () -> {
            try {
              look.run();
            } catch (Throwable t) {
              System.out.println("[" + id + "] a look failed: " + t);
            }
          },
          0,
          delay.toMillis(),
          TimeUnit.MILLISECONDS);
    }

    private Row row(Watched w, Instant running, Optional<Instant> onset) {
      // A decision recorded while the loops were being stopped came after the limit.
      Optional<Decision> d =
          Optional.ofNullable(w.observer.decision().getNow(null))
              .filter(x -> !x.at().isAfter(running.plus(limit)));
      Optional<FollowUp> f =
          d.isPresent() && w.followUp != null ? Optional.of(w.followUp.join()) : Optional.empty();
      return new Row(
          id,
          w.who,
          d.map(x -> Duration.between(running, x.at())),
          d.flatMap(x -> onset.map(o -> Duration.between(o, x.at()))),
          d.map(Decision::text).orElse(w.aside.map(a -> "(" + shorten(a) + ")").orElse("-")),
          d.map(cause(scenario.deployment().orElseThrow().job())::judge).orElse("-"),
          d.isEmpty() ? "0" : f.map(FollowUp::restartsText).orElse("not followed"),
          d.isEmpty()
              ? "-"
              : f.map(FollowUp::runsText)
                  .orElse("each run waits its stabilization and metric window again"),
          limit);
    }

    private void say(JobRun run, String what) {
      say(run.running, what);
    }

    private void say(Instant running, String what) {
      System.out.printf(
          Locale.ROOT,
          "[%s +%ds] %s%n",
          id,
          Duration.between(running, Instant.now()).toSeconds(),
          what);
    }
  }

  /** An observer of the first run, and where its first decision led. */
  private static final class Watched {
    final String who;
    final Observer observer;
    volatile CompletableFuture<FollowUp> followUp;
    volatile Optional<String> aside = Optional.empty();

    Watched(String who, Observer observer) {
      this.who = who;
      this.observer = observer;
    }
  }

  /** How following a first decision ended. */
  private enum Ending {
    FREE("free"),
    ADVICE("nothing to restart"),
    HELD_UP("still held up"),
    STILL_DECIDING("still deciding");

    final String text;

    Ending(String text) {
      this.text = text;
    }
  }

  /**
   * Where a first decision led.
   *
   * @param restarts runs after the first, one per decision applied
   * @param runs what each restarted run showed
   */
  private record FollowUp(int restarts, Ending ending, List<String> runs) {
    String restartsText() {
      return restarts + ", " + ending.text;
    }

    String runsText() {
      if (runs.isEmpty()) {
        return "-";
      }
      List<String> numbered = new ArrayList<>();
      for (int i = 0; i < runs.size(); i++) {
        numbered.add((i + 1) + ": " + runs.get(i));
      }
      return String.join("; ", numbered);
    }
  }

  private static Runnable lookUntilDecided(Observer o) {
    return () -> {
      if (!o.decision().isDone()) {
        o.look();
      }
    };
  }

  /** Until every first decision is in, or the time limit (from RUNNING) has passed. */
  private static void awaitFirstDecisions(List<Watched> watched, Instant deadline)
      throws InterruptedException {
    await(
        CompletableFuture.allOf(
            watched.stream().map(w -> w.observer.decision()).toArray(CompletableFuture<?>[]::new)),
        deadline);
  }

  private static void await(CompletableFuture<?> f, Instant deadline) throws InterruptedException {
    long left = Math.max(0, Duration.between(Instant.now(), deadline).toMillis());
    try {
      f.get(left, TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // The time limit: whoever has not decided shows "none".
    }
  }

  private static ExecutorService daemons(int count, String name) {
    return Executors.newFixedThreadPool(
        count,
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  /** Only the switch a user must turn on: everything else at the autoscaler's defaults. */
  private static Configuration autoscalerDefaults(Configuration job) {
    Configuration c = new Configuration(job);
    c.set(AutoScalerOptions.AUTOSCALER_ENABLED, true);
    return c;
  }

  /** The settings a user in a hurry would try: a 10 s stabilization and a 60 s metric window. */
  private static Configuration autoscalerShort(Configuration job) {
    Configuration c = autoscalerDefaults(job);
    c.set(AutoScalerOptions.STABILIZATION_INTERVAL, Duration.ofSeconds(10));
    c.set(AutoScalerOptions.METRICS_WINDOW, Duration.ofSeconds(60));
    return c;
  }

  /**
   * What really holds a scenario's job back, and whether a decision reaches it. Keyed by the job
   * (an exhaustive switch), so that a new kind of deployed job does not compile until it is judged.
   */
  private record Cause(Predicate<Decision> reachedBy, String otherwise, String advised) {
    String judge(Decision d) {
      if (d.apply().isEmpty()) {
        return advised;
      }
      return reachedBy.test(d) ? "yes" : "no: " + otherwise;
    }
  }

  private static Cause cause(ScenarioJob job) {
    String noAdvice = "an advice, where a change would fix it";
    return switch (job) {
      case COMPUTE_BOTTLENECK ->
          new Cause(
              d -> d.raised().stream().anyMatch(name -> name.startsWith("enrich")),
              "'enrich' is too slow and keeps its parallelism",
              noAdvice);
      case SATURATED_BACKEND ->
          new Cause(
              d -> false,
              "more subtasks only queue at a backend that serves one call",
              "yes: no setting makes the backend faster");
      case PACED_HOT_KEY ->
          new Cause(
              d -> false,
              "one key stays on one subtask at any parallelism",
              "yes: no setting spreads one key");
      case PACED_WIDE_SHUFFLE ->
          new Cause(
              d -> d.keys().contains(TaskManagerMemoryModel.NETWORK_MAX),
              "network memory stays 1 MiB, so the job still cannot start",
              noAdvice);
    };
  }

  /** One line of the table: one of the three on one situation. */
  private record Row(
      String situation,
      String who,
      Optional<Duration> fromRunning,
      Optional<Duration> fromOnset,
      String decision,
      String addresses,
      String restarts,
      String restartedRuns,
      Duration limit) {

    /**
     * A situation that could not be measured, with why, rather than a table that is not printed.
     */
    static Row failed(String situation, Throwable why, Duration limit) {
      return new Row(
          situation,
          "-",
          Optional.empty(),
          Optional.empty(),
          "(failed: " + shorten(String.valueOf(why)) + ")",
          "-",
          "-",
          "-",
          limit);
    }
  }

  private static String shorten(String text) {
    String oneLine = text.replaceAll("\\s+", " ").trim();
    return oneLine.length() <= ASIDE_CHARS ? oneLine : oneLine.substring(0, ASIDE_CHARS) + "…";
  }

  /** A Markdown table, as the README holds it. */
  private static void print(List<Row> rows) {
    System.out.println(
        "| situation | who | first decision, s after RUNNING | s after backpressure began |"
            + " decision | reaches the cause | restarts | each restarted run (s after its RUNNING) |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    for (Row r : rows) {
      System.out.println(
          String.join(
              " | ",
              "| " + r.situation(),
              r.who(),
              r.fromRunning()
                  .map(d -> Long.toString(d.toSeconds()))
                  .orElse("none within " + r.limit().toMinutes() + " min"),
              r.fromOnset().map(d -> Long.toString(d.toSeconds())).orElse("-"),
              r.decision().replace("|", "\\|"),
              r.addresses(),
              r.restarts(),
              r.restartedRuns().replace("|", "\\|") + " |"));
    }
  }
}
