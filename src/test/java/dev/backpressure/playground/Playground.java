package dev.backpressure.playground;

import dev.backpressure.api.DeploymentPhase;
import dev.backpressure.api.DeploymentReport;
import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.testing.Await;
import dev.backpressure.testing.FlinkRuntime;
import dev.backpressure.testing.Scenario;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The README's first command: in one process, a Kubernetes API, a real Flink job with real
 * backpressure behind a stand-in Flink operator, and this operator with a policy, fixing it (or
 * advising, or rolling back) while it narrates. {@code --scenario} picks the situation, {@code
 * --mode=dry-run} only reports, {@code --flink=2} runs the job on Flink 2.x instead of the build's
 * Flink 1.20, {@code --keep=true} leaves everything running afterwards.
 */
public final class Playground {

  private static final Duration LIMIT = Duration.ofMinutes(5);
  private static final long START = System.nanoTime();

  private Playground() {}

  public static void main(String[] args) throws Exception {
    Scenario scenario;
    RemediationPolicySpec.Mode mode;
    FlinkRuntime flink;
    try {
      scenario = Scenario.deployed(option(args, "--scenario", "compute"));
      flink = FlinkRuntime.of(option(args, "--flink", "1"));
      mode =
          switch (option(args, "--mode", "enforce").toLowerCase(Locale.ROOT)) {
            case "enforce" -> RemediationPolicySpec.Mode.Enforce;
            case "dry-run", "dryrun" -> RemediationPolicySpec.Mode.DryRun;
            default -> throw new IllegalArgumentException("--mode is enforce or dry-run");
          };
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    boolean keep = Boolean.parseBoolean(option(args, "--keep", "false"));
    Scenario.Deployment deployed = scenario.deployment().orElseThrow();
    say("scenario '" + deployed.id() + "' on Flink " + flink.version() + ": " + deployed.story());
    boolean done;
    try (PlaygroundStack stack = PlaygroundStack.start(scenario, mode, flink, Playground::say)) {
      say("Kubernetes API: " + stack.k8s.client().getMasterUrl());
      say(
          "from another terminal:  kubectl --kubeconfig "
              + stack.kubeconfig
              + " get flinkdeployments,remediationpolicies -w");
      say("Flink REST: " + stack.flink.restUrl() + " (try: diagnose --rest-url that address)");
      JobMeter meter = new JobMeter(stack.flink.restUrl());
      JobMeter.Reading before = null;
      if (scenario.failsAtStartup()) {
        String failure =
            Await.until(
                    "the job to fail at startup",
                    () -> latestFailure(meter),
                    Optional::isPresent,
                    LIMIT)
                .orElseThrow();
        say("before: the job cannot start: " + failure);
      } else {
        before =
            Await.until(
                "the job to run and show backpressure",
                () -> measure(meter),
                r -> deployed.outcome() == Scenario.Outcome.ADVICE || r.sourceBackPressure() >= 500,
                LIMIT);
        say("before: " + describe(before));
      }
      say(
          "starting the operator with policy '"
              + PlaygroundStack.POLICY
              + "' ("
              + mode
              + ", scrape every 2s, verify over 65s)");
      stack.startOperator();
      done = follow(stack, scenario, mode);
      if (done && deployed.outcome() != Scenario.Outcome.ADVICE) {
        JobMeter.Reading after =
            Await.until("the job to run", () -> measure(meter), r -> true, LIMIT);
        say("after:  " + describe(after));
        if (before != null) {
          say(
              String.format(
                  Locale.ROOT,
                  "source backpressure %.0f → %.0f ms/s, throughput %.0f → %.0f events/s",
                  before.sourceBackPressure(),
                  after.sourceBackPressure(),
                  before.eventsPerSecond(),
                  after.eventsPerSecond()));
        }
      }
      printKubectl(stack);
      if (keep) {
        say("everything keeps running; press Ctrl-C to stop.");
        new CountDownLatch(1).await();
      }
    }
    say(done ? "done." : "the scenario did not end as expected.");
    System.exit(done ? 0 : 1);
  }

  /** Narrates events and status until the scenario's end, or the time limit. */
  private static boolean follow(
      PlaygroundStack stack, Scenario scenario, RemediationPolicySpec.Mode mode)
      throws InterruptedException {
    Set<String> seen = new HashSet<>();
    String lastPhase = null;
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (System.nanoTime() < deadline) {
      for (Event e : stack.events()) {
        if (e.getInvolvedObject().getKind().equals("FlinkDeployment")
            && seen.add(e.getMetadata().getName() + "/" + e.getCount())) {
          say("event " + e.getType() + " " + e.getReason() + ": " + e.getMessage());
        }
      }
      Optional<DeploymentReport> report = stack.report();
      String phase = report.map(r -> r.phase + ": " + r.message).orElse(null);
      if (phase != null && !Objects.equals(phase, lastPhase)) {
        say("status " + phase);
        lastPhase = phase;
      }
      if (report.isPresent() && ended(report.get(), stack, scenario, mode)) {
        return true;
      }
      TimeUnit.MILLISECONDS.sleep(500);
    }
    return false;
  }

  private static boolean ended(
      DeploymentReport r,
      PlaygroundStack stack,
      Scenario scenario,
      RemediationPolicySpec.Mode mode) {
    if (mode == RemediationPolicySpec.Mode.DryRun) {
      return !stack.events("ChangePlanned").isEmpty() || r.phase == DeploymentPhase.Advised;
    }
    String outcome = r.lastChange == null ? "" : r.lastChange.outcome;
    return switch (scenario.deployment().orElseThrow().outcome()) {
      case VERIFIED -> "VERIFIED".equals(outcome);
      case ROLLED_BACK -> "ROLLED_BACK".equals(outcome) && stack.flink.rollouts() >= 3;
      case ADVICE -> r.phase == DeploymentPhase.Advised;
    };
  }

  /** What {@code kubectl get remediationpolicies} and {@code kubectl get events} would show. */
  private static void printKubectl(PlaygroundStack stack) {
    RemediationPolicy p = stack.policy();
    System.out.println("\n$ kubectl get remediationpolicies");
    System.out.printf(
        "%-10s %-8s %-9s %-14s %-12s%n",
        "NAME", "MODE", "GOVERNED", "BACKPRESSURED", "REMEDIATING");
    System.out.printf(
        "%-10s %-8s %-9s %-14s %-12s%n",
        p.getMetadata().getName(),
        p.getSpec().mode,
        p.getStatus().deploymentsGoverned,
        p.getStatus().backpressured,
        p.getStatus().remediating);
    System.out.println(
        "\n$ kubectl get remediationpolicy auto-fix -o jsonpath='{.status.conditions}'");
    for (Condition c : p.getStatus().conditions) {
      System.out.printf(
          "  %-14s %-6s %-22s %s%n", c.getType(), c.getStatus(), c.getReason(), c.getMessage());
    }
    System.out.println(
        "\n$ kubectl get events --field-selector involvedObject.kind=FlinkDeployment");
    System.out.printf("%-8s %-24s %-26s %s%n", "TYPE", "REASON", "OBJECT", "MESSAGE");
    for (Event e : stack.events()) {
      if (e.getInvolvedObject().getKind().equals("FlinkDeployment")) {
        System.out.printf(
            "%-8s %-24s %-26s %s%n",
            e.getType(),
            e.getReason(),
            "flinkdeployment/" + e.getInvolvedObject().getName(),
            e.getMessage().length() > 160
                ? e.getMessage().substring(0, 157) + "..."
                : e.getMessage());
      }
    }
    System.out.println();
  }

  private static String describe(JobMeter.Reading r) {
    StringBuilder s =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "source backpressured %.0f ms/s, %.0f events/s; parallelism",
                r.sourceBackPressure(),
                r.eventsPerSecond()));
    r.vertices().forEach(v -> s.append(" '").append(v.name()).append("'=").append(v.parallelism()));
    return s.toString();
  }

  private static Optional<String> latestFailure(JobMeter meter) {
    try {
      return meter.latestFailure();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static JobMeter.Reading measure(JobMeter meter) {
    try {
      return meter.measure(Duration.ofSeconds(5));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static void say(String line) {
    long s = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - START);
    System.out.printf("[%3ds] %s%n", s, line);
  }

  private static String option(String[] args, String name, String fallback) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith(name + "=")) {
        return args[i].substring(name.length() + 1);
      }
      if (args[i].equals(name) && i + 1 < args.length) {
        return args[i + 1];
      }
    }
    return fallback;
  }
}
