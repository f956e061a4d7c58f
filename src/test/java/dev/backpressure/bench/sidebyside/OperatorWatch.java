package dev.backpressure.bench.sidebyside;

import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.Vertex;
import dev.backpressure.flink.rest.ScrapeException;
import dev.backpressure.flink.rest.SnapshotReader;
import dev.backpressure.operator.PolicySettings;
import dev.backpressure.remediation.DeploymentView;
import dev.backpressure.remediation.ParallelismOverrides;
import dev.backpressure.remediation.Plan;
import dev.backpressure.remediation.Planner;
import dev.backpressure.remediation.Setting;
import dev.backpressure.remediation.SettingChange;
import dev.backpressure.watch.JobWatch;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * This operator at a policy's settings: its watch over the policy's window and its planner, for one
 * job. The deployment is read from Flink's own configuration, as {@code diagnose} reads it; here it
 * is the deployment's, so the reconciler's view of the FlinkDeployment would say the same. The
 * guard is not run: at its defaults it does not hold back a first change of a job whose upgrades
 * keep its state.
 */
final class OperatorWatch implements Observer {

  private final JobWatch watch;
  private final PolicySettings policy;
  private final CompletableFuture<Decision> decision = new CompletableFuture<>();
  private volatile String lastFailure;

  OperatorWatch(SnapshotReader reader, String jobId, PolicySettings policy) {
    this.watch =
        new JobWatch(
            reader, jobId, policy.thresholds(), policy.windowSize(), policy.windowMaxAge());
    this.policy = policy;
  }

  @Override
  public Duration every() {
    return policy.scrapeInterval();
  }

  @Override
  public void look() {
    try {
      Diagnosis d = watch.observe();
      JobSnapshot latest = watch.window().latest().orElseThrow();
      Plan plan = Planner.plan(d, latest, DeploymentView.fromSnapshot(latest), policy.limits());
      if (plan instanceof Plan.Change change) {
        decision.complete(decision(change, latest));
      } else if (plan instanceof Plan.Advice a) {
        // A verdict too: no setting fixes this, and the operator says so instead of changing one.
        decision.complete(Decision.advice(Instant.now(), "advice: " + a.summary()));
      }
    } catch (ScrapeException | RuntimeException e) {
      // The operator counts a failed scrape and reads again at the next interval.
      lastFailure = "last read failed: " + e.getMessage();
    }
  }

  @Override
  public CompletableFuture<Decision> decision() {
    return decision;
  }

  @Override
  public Optional<String> aside() {
    return Optional.ofNullable(lastFailure);
  }

  /** The change in the table's terms, and how the Flink operator would roll it out. */
  private static Decision decision(Plan.Change c, JobSnapshot latest) {
    List<String> parts = new ArrayList<>();
    Set<String> raised = new TreeSet<>();
    Set<String> keys = new TreeSet<>();
    UnaryOperator<Deployed> apply = UnaryOperator.identity();
    for (SettingChange s : c.changes()) {
      if (s.setting() == Setting.JOB_PARALLELISM) {
        int to = Integer.parseInt(s.to());
        parts.add("job parallelism " + s.from().orElse("?") + "→" + to);
        if (to > Integer.parseInt(s.from().orElse("0"))) {
          c.target().ifPresent(v -> raised.add(v.name()));
        }
        apply = then(apply, d -> d.withParallelism(to));
        continue;
      }
      if (s.key().equals(ParallelismOverrides.KEY)) {
        Map<String, Integer> before = ParallelismOverrides.parse(s.from().orElse(""));
        ParallelismOverrides.parse(s.to())
            .forEach(
                (vertexId, to) -> {
                  if (to.equals(before.get(vertexId))) {
                    return;
                  }
                  Optional<Vertex> v = latest.graph().vertex(vertexId);
                  String name = v.map(Vertex::name).orElse(vertexId);
                  int from = v.map(Vertex::parallelism).orElse(0);
                  parts.add(name + " " + from + "→" + to);
                  if (to > from) {
                    raised.add(name);
                  }
                });
      } else {
        parts.add(s.key() + "=" + s.to());
        keys.add(s.key());
      }
      if (s.setting() != Setting.FLINK_CONFIGURATION) {
        // A TaskManager's pod memory has no MiniCluster counterpart; a default policy never sets
        // it.
        throw new IllegalStateException("cannot roll out " + s.describe() + " on a MiniCluster");
      }
      apply = then(apply, d -> d.with(s.key(), s.to()));
    }
    return new Decision(Instant.now(), String.join(", ", parts), raised, keys, Optional.of(apply));
  }

  private static UnaryOperator<Deployed> then(
      UnaryOperator<Deployed> first, UnaryOperator<Deployed> next) {
    return d -> next.apply(first.apply(d));
  }
}
