package dev.backpressure.operator;

import dev.backpressure.api.DeploymentPhase;
import dev.backpressure.api.DeploymentReport;
import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.VertexMetric;
import dev.backpressure.remediation.Decision;
import dev.backpressure.remediation.DeploymentState;
import dev.backpressure.remediation.Guard;
import dev.backpressure.remediation.GuardState;
import dev.backpressure.remediation.Measures;
import dev.backpressure.remediation.Plan;
import dev.backpressure.remediation.Planner;
import dev.backpressure.remediation.RunningJob;
import dev.backpressure.state.GuardStateJson;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass of one policy over the deployments it governs: for each, read what the scrape brought
 * and the guard record, decide (plan, guard), write the patch, and say what happened. The decisions
 * themselves are the pure core's; this class holds the reads and writes around them.
 */
final class DeploymentPass {

  private static final Logger LOG = LoggerFactory.getLogger(DeploymentPass.class);

  private final RemediationPolicy policy;
  private final PolicySettings settings;
  private final PreviousStatus old;
  private final List<RemediationPolicy> actingOthers;
  private final Map<DeploymentKey, ScrapeResult> scraped;
  private final Instant now;
  private final DeploymentWriter writer;
  private final EventRecorder events;
  private final OperatorMetrics metrics;

  DeploymentPass(
      RemediationPolicy policy,
      PolicySettings settings,
      PreviousStatus old,
      List<RemediationPolicy> actingOthers,
      Map<DeploymentKey, ScrapeResult> scraped,
      Instant now,
      DeploymentWriter writer,
      EventRecorder events,
      OperatorMetrics metrics) {
    this.policy = policy;
    this.settings = settings;
    this.old = old;
    this.actingOthers = actingOthers;
    this.scraped = scraped;
    this.now = now;
    this.writer = writer;
    this.events = events;
    this.metrics = metrics;
  }

  /** What happened to one deployment in this pass. */
  private record Outcome(
      DeploymentPhase phase,
      String message,
      Optional<DeploymentReport.Change> change,
      String guardState,
      boolean inFlight,
      boolean conflicted) {

    static Outcome held(String message, String guardState, boolean inFlight, boolean conflicted) {
      return new Outcome(
          DeploymentPhase.Held, message, Optional.empty(), guardState, inFlight, conflicted);
    }
  }

  PolicyReport.Entry run(GenericKubernetesResource resource) {
    PolicyReport.Entry entry = look(resource);
    String namespace = resource.getMetadata().getNamespace();
    String name = entry.report().name;
    AuditLog.passed(namespace, policy.getMetadata().getName(), old.report(name), entry.report());
    Optional<ScrapeResult> read = Optional.ofNullable(scraped.get(DeploymentKey.of(resource)));
    Optional<Diagnosis> diagnosis = read.flatMap(ScrapeResult::diagnosis);
    metrics.deployment(
        namespace,
        name,
        policy.getMetadata().getName(),
        entry.report().phase,
        diagnosis.map(Diagnosis::cause),
        diagnosis.map(d -> d.symptom().worstBackPressuredMsPerSecond()).orElse(Double.NaN),
        diagnosis
            .flatMap(Diagnosis::bottleneck)
            .flatMap(
                b ->
                    read.flatMap(ScrapeResult::latest)
                        .flatMap(s -> s.metric(b.id(), VertexMetric.BUSY)))
            .map(a -> a.max())
            .orElse(Double.NaN));
    return entry;
  }

  private PolicyReport.Entry look(GenericKubernetesResource resource) {
    DeploymentReport report = new DeploymentReport();
    report.name = resource.getMetadata().getName();
    FlinkDeploymentDocument fd;
    try {
      fd = FlinkDeploymentDocument.read(resource);
    } catch (FlinkDeploymentDocument.Unreadable e) {
      report.phase = DeploymentPhase.Unreadable;
      report.message =
          "the FlinkDeployment cannot be read, nothing is done to it: " + e.getMessage();
      carryOver(report);
      events.record(resource, EventReason.DeploymentUnreadable, report.message);
      return new PolicyReport.Entry(report, false, true, false, false);
    }
    Optional<String> recorded = old.guard(report.name);
    StoredGuard stored = StoredGuard.of(fd, recorded, now);
    List<String> others = otherPolicies(fd);
    // A change in flight stays with the policy that made it (its status records it) until it is
    // verified or undone, whatever other policies start selecting the deployment meanwhile.
    boolean seeingItsChangeThrough =
        stored.state().inFlight().isPresent()
            && stored
                .state()
                .inFlight()
                .map(GuardState.InFlight::id)
                .equals(StoredGuard.inFlightId(recorded));
    if (!others.isEmpty() && !seeingItsChangeThrough) {
      carryOver(report);
      report.phase = DeploymentPhase.Conflict;
      report.message =
          "also selected by "
              + String.join(", ", others)
              + ": no action until one policy selects it";
      events.record(resource, EventReason.PolicyOverlap, report.message);
      return new PolicyReport.Entry(report, true, false, false, false);
    }
    Optional<ScrapeResult> result = freshScrape(fd, stored);
    // A change in flight is judged on the deployment as the API server holds it now, not on a
    // cached copy that may lag behind the Flink operator's latest status.
    FlinkDeploymentDocument current = fd;
    if (stored.state().inFlight().isPresent()) {
      Optional<FlinkDeploymentDocument> fresh = writer.read(fd);
      if (fresh.isPresent()) {
        current = fresh.get();
        stored = StoredGuard.of(current, recorded, now);
      }
    }
    boolean unreadable =
        result.flatMap(ScrapeResult::failure).isPresent()
            && !Guard.duringOurRestart(
                stored.state(), result.get().at(), settings.guard(), settings.scrapeInterval());
    if (unreadable) {
      events.record(
          resource,
          EventReason.ScrapeFailed,
          "cannot read Flink, no action: " + result.get().failure().get());
    }
    Outcome outcome = decideAndAct(current, stored, result);
    if (outcome.conflicted()) {
      // Someone (or our own cache) was behind: re-read the deployment and decide once more on
      // what the API server holds now, never overwriting what changed.
      Optional<FlinkDeploymentDocument> fresh = writer.read(fd);
      if (fresh.isPresent()) {
        outcome = decideAndAct(fresh.get(), StoredGuard.of(fresh.get(), recorded, now), result);
      }
      if (outcome.conflicted() || fresh.isEmpty()) {
        events.record(resource, EventReason.PatchRefused, outcome.message());
      }
    }
    report.phase = outcome.phase();
    report.message =
        others.isEmpty()
            ? outcome.message()
            : outcome.message()
                + "; also selected by "
                + String.join(", ", others)
                + ": this policy sees its change through, then no action until one policy selects"
                + " it";
    report.lastDiagnosis =
        result
            .flatMap(ScrapeResult::diagnosis)
            .map(PolicyReport::diagnosis)
            .orElse(old.diagnosis(report.name));
    report.lastChange = outcome.change().orElse(old.change(report.name));
    report.guardState = outcome.guardState();
    boolean backpressured =
        result.flatMap(ScrapeResult::diagnosis).map(d -> d.symptom().sustained()).orElse(false);
    return new PolicyReport.Entry(report, false, unreadable, backpressured, outcome.inFlight());
  }

  /** Carries over what the last pass knew of a deployment this pass cannot look at. */
  private void carryOver(DeploymentReport report) {
    report.lastDiagnosis = old.diagnosis(report.name);
    report.lastChange = old.change(report.name);
    report.guardState = old.guard(report.name).orElse(null);
  }

  /**
   * The deployment's latest scrape, unless it was read before our own change (or its undoing)
   * began: then it says nothing about the job since.
   */
  private Optional<ScrapeResult> freshScrape(FlinkDeploymentDocument fd, StoredGuard stored) {
    Optional<Instant> stateBegan =
        stored.state().inFlight().map(f -> f.rollbackAt().orElse(f.appliedAt()));
    return Optional.ofNullable(scraped.get(fd.key()))
        .filter(r -> stateBegan.isEmpty() || !r.at().isBefore(stateBegan.get()));
  }

  private Outcome decideAndAct(
      FlinkDeploymentDocument fd, StoredGuard stored, Optional<ScrapeResult> result) {
    try {
      return remediate(fd, stored, result);
    } catch (RuntimeException e) {
      // One deployment's trouble must not stop the others, nor the periodic passes.
      LOG.warn("deciding for {} failed", fd.key(), e);
      String why = "no action: deciding failed with " + e;
      events.record(fd.resource(), EventReason.ChangeSkipped, why);
      return Outcome.held(why, GuardStateJson.write(stored.state()), false, false);
    }
  }

  private Outcome remediate(
      FlinkDeploymentDocument fd, StoredGuard stored, Optional<ScrapeResult> result) {
    if (stored.foreign().isPresent()) {
      String message =
          "annotation "
              + FlinkDeployments.GUARD_ANNOTATION
              + " left as it is, no action: "
              + stored.foreign().get();
      events.record(fd.resource(), EventReason.GuardStateUnreadable, message);
      return Outcome.held(message, stored.text().get(), false, false);
    }
    if (stored.replaced().isPresent()) {
      events.record(
          fd.resource(),
          EventReason.GuardStateUnreadable,
          "annotation "
              + FlinkDeployments.GUARD_ANNOTATION
              + " not used ("
              + stored.replaced().get()
              + "): "
              + (stored.state().equals(GuardState.initial())
                  ? "this policy's status holds no record of it, so it starts empty"
                  : "written again from the record in policy "
                      + policy.getMetadata().getName()
                      + "'s status"));
    }
    GuardState state = stored.state();
    // A scrape of another job than the one the deployment runs now (read just before the Flink
    // operator replaced it) says nothing about this deployment: decide without it.
    Optional<String> runningJob = fd.jobId();
    Optional<JobSnapshot> latest =
        result
            .flatMap(ScrapeResult::latest)
            .filter(s -> runningJob.isEmpty() || runningJob.get().equals(s.jobId()));
    Optional<Diagnosis> diagnosis =
        latest.isPresent() ? result.flatMap(ScrapeResult::diagnosis) : Optional.empty();
    List<JobFailure> failures = latest.map(JobSnapshot::exceptions).orElse(List.of());
    DeploymentState deploymentState =
        FlinkDeployments.state(
            fd,
            failures,
            latest.map(JobSnapshot::configuration).orElse(Map.of()),
            latest.map(RunningJob::of));
    Optional<Plan> plan =
        diagnosis.flatMap(
            d ->
                latest.map(
                    s ->
                        RemedyFilter.allowed(
                            Planner.plan(d, s, FlinkDeployments.view(fd, s), settings.limits()),
                            settings.remedies())));
    Optional<Measures> measures =
        latest.isPresent() ? result.flatMap(ScrapeResult::measures) : Optional.empty();
    Decision decision =
        Guard.decide(now, state, settings.guard(), deploymentState, diagnosis, plan, measures);
    metrics.decided(decision.kind(), fd.namespace(), fd.name(), policy.getMetadata().getName());
    String nextJson = GuardStateJson.write(decision.next());
    boolean stateChanged =
        stored.replaced().isPresent()
            || (!decision.next().equals(state)
                && !(stored.text().isEmpty() && decision.next().equals(GuardState.initial())));
    if (!decision.patch().isEmpty() || stateChanged) {
      try {
        writer.patch(fd, decision.patch(), nextJson);
      } catch (KubernetesClientException e) {
        WriteFailure failure =
            WriteFailure.of(
                e.getCode(),
                e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage(),
                fd.namespace());
        boolean conflict = failure.kind() == WriteFailure.Kind.CONFLICT;
        if (!conflict) {
          events.record(fd.resource(), EventReason.PatchRefused, failure.message());
        }
        return Outcome.held(
            failure.message(),
            GuardStateJson.write(stored.state()),
            state.inFlight().isPresent(),
            conflict);
      }
    }
    for (DecisionEvents.Notice n : DecisionEvents.of(decision, diagnosis)) {
      events.record(fd.resource(), n.reason(), n.subject(), n.message());
      if (n.onPolicyToo()) {
        events.record(
            policy, n.reason(), fd.name() + ": " + n.subject(), fd.name() + ": " + n.message());
      }
    }
    return new Outcome(
        PolicyReport.phase(decision, diagnosis),
        decision.reason(),
        PolicyReport.change(decision, state, now),
        nextJson,
        decision.next().inFlight().isPresent(),
        false);
  }

  /** The names of the other acting policies of the namespace that select the deployment too. */
  private List<String> otherPolicies(FlinkDeploymentDocument fd) {
    return actingOthers.stream()
        .filter(p -> FlinkDeployments.selects(p.getSpec().selector, fd.labels()))
        .map(p -> p.getMetadata().getName())
        .sorted()
        .toList();
  }
}
