package dev.backpressure.operator;

import dev.backpressure.api.DeploymentReport;
import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicyStatus;
import dev.backpressure.diagnosis.Cause;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Evidence;
import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.remediation.Decision;
import dev.backpressure.remediation.DeploymentState;
import dev.backpressure.remediation.Guard;
import dev.backpressure.remediation.GuardState;
import dev.backpressure.remediation.Measures;
import dev.backpressure.remediation.Plan;
import dev.backpressure.remediation.Planner;
import dev.backpressure.remediation.RunningJob;
import dev.backpressure.remediation.SettingChange;
import dev.backpressure.state.GuardStateJson;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.MaxReconciliationInterval;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.GroupVersionKind;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.polling.PerResourcePollingConfigurationBuilder;
import io.javaoperatorsdk.operator.processing.event.source.polling.PerResourcePollingEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles a RemediationPolicy: for each FlinkDeployment it governs, observe (the scrape the
 * polling source delivered) → diagnose (done with the scrape) → plan → guard → act → report.
 */
@ControllerConfiguration(
    name = "remediationpolicy",
    // A safety net: passes come every scrape interval; this one even after repeated failures.
    maxReconciliationInterval =
        @MaxReconciliationInterval(interval = 1, timeUnit = TimeUnit.MINUTES))
public final class BackpressureReconciler implements Reconciler<RemediationPolicy> {

  private static final Logger LOG = LoggerFactory.getLogger(BackpressureReconciler.class);

  private final Clock clock;
  private final ScrapePools pools;
  private final OperatorMetrics metrics;
  private final ScrapeSettings scrape;
  private final BooleanSupplier leading;
  private final Liveness liveness;
  private volatile InformerEventSource<GenericKubernetesResource, RemediationPolicy> deployments;
  private volatile EventRecorder events;

  public BackpressureReconciler(
      Clock clock,
      ScrapePools pools,
      OperatorMetrics metrics,
      ScrapeSettings scrape,
      BooleanSupplier leading,
      Liveness liveness) {
    this.clock = clock;
    this.pools = pools;
    this.metrics = metrics;
    this.scrape = scrape;
    this.leading = leading;
    this.liveness = liveness;
  }

  @Override
  public List<EventSource<?, RemediationPolicy>> prepareEventSources(
      EventSourceContext<RemediationPolicy> context) {
    events = new EventRecorder(context.getClient(), clock);
    // No owner reference links a deployment to its policies: the label selectors do, both ways.
    // Read as generic objects: the Flink operator's model classes reject what its later releases
    // write, and one such object would stop the informer for every deployment.
    InformerEventSourceConfiguration<GenericKubernetesResource> config =
        InformerEventSourceConfiguration.from(
                new GroupVersionKind(
                    FlinkDeploymentDocument.GROUP,
                    FlinkDeploymentDocument.VERSION,
                    FlinkDeploymentDocument.KIND),
                RemediationPolicy.class)
            .withNamespacesInheritedFromController()
            .withSecondaryToPrimaryMapper(
                fd ->
                    context
                        .getPrimaryCache()
                        .list(
                            fd.getMetadata().getNamespace(),
                            p ->
                                p.getSpec() != null
                                    && FlinkDeployments.selects(
                                        p.getSpec().selector, fd.getMetadata().getLabels()))
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
            .withPrimaryToSecondaryMapper(
                (RemediationPolicy p) ->
                    governed(p).stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
            .build();
    deployments = new InformerEventSource<>(config, context);
    FlinkScraper scraper =
        new FlinkScraper(this::governed, pools, clock, metrics, scrape, leading, liveness);
    PerResourcePollingEventSource<ScrapeResult, RemediationPolicy, String> polling =
        new PerResourcePollingEventSource<>(
            ScrapeResult.class,
            context,
            new PerResourcePollingConfigurationBuilder<ScrapeResult, RemediationPolicy, String>(
                    scraper, Duration.ofSeconds(30))
                .withExecutorService(pools.polls())
                .withResourceIDMapper(ScrapeResult::deployment)
                .withName("flink-rest")
                .build());
    return List.of(deployments, polling);
  }

  /** The deployments a policy selects, from the informer's cache. */
  List<GenericKubernetesResource> governed(RemediationPolicy p) {
    InformerEventSource<GenericKubernetesResource, RemediationPolicy> source = deployments;
    if (source == null || p.getSpec() == null) {
      return List.of();
    }
    return source
        .list(
            p.getMetadata().getNamespace(),
            fd -> FlinkDeployments.selects(p.getSpec().selector, fd.getMetadata().getLabels()))
        .toList();
  }

  @Override
  public UpdateControl<RemediationPolicy> reconcile(
      RemediationPolicy policy, Context<RemediationPolicy> context) {
    return liveness.during(
        "reconciling policy " + ResourceID.fromResource(policy),
        () -> reconcileNow(policy, context));
  }

  private UpdateControl<RemediationPolicy> reconcileNow(
      RemediationPolicy policy, Context<RemediationPolicy> context) {
    Instant now = clock.instant();
    long generation = Objects.requireNonNullElse(policy.getMetadata().getGeneration(), 0L);
    RemediationPolicyStatus old =
        policy.getStatus() == null ? new RemediationPolicyStatus() : policy.getStatus();
    RemediationPolicyStatus status = new RemediationPolicyStatus();
    status.observedGeneration = generation;
    List<Condition> conditions = new ArrayList<>();

    PolicySettings.Parsed parsed = PolicySettings.parse(policy.getSpec());
    List<String> problems = new ArrayList<>(parsed.problems());
    parsed
        .settings()
        .flatMap(
            s ->
                scrape
                    .addresses()
                    .problemWith(s.restUrlTemplate(), policy.getMetadata().getNamespace()))
        .ifPresent(problems::add);
    if (!problems.isEmpty()) {
      String message =
          "the policy is not valid, nothing is watched: " + String.join("; ", problems);
      events.record(policy, EventReason.PolicyInvalid, message);
      conditions.add(
          Conditions.of(Conditions.READY, false, Conditions.INVALID_SPEC, message, generation));
      // What the status knew of each deployment (the guard state above all) outlives the mistake.
      status.deployments.addAll(old.deployments);
      return finish(policy, context, old, status, conditions, now, Duration.ofMinutes(5));
    }
    PolicySettings settings = parsed.settings().get();
    List<GenericKubernetesResource> governed = governed(policy);
    Map<String, ScrapeResult> scraped = new HashMap<>();
    context.getSecondaryResources(ScrapeResult.class).forEach(r -> scraped.put(r.deployment(), r));

    List<String> overlapping = new ArrayList<>();
    List<String> unreadable = new ArrayList<>();
    int backpressured = 0;
    int remediating = 0;
    List<RemediationPolicy> actingOthers = actingOthers(policy, context);
    for (GenericKubernetesResource resource : governed) {
      DeploymentReport report = new DeploymentReport();
      report.name = resource.getMetadata().getName();
      status.deployments.add(report);
      FlinkDeploymentDocument fd;
      try {
        fd = FlinkDeploymentDocument.read(resource);
      } catch (FlinkDeploymentDocument.Unreadable e) {
        unreadable.add(report.name);
        report.phase = "Unreadable";
        report.message =
            "the FlinkDeployment cannot be read, nothing is done to it: " + e.getMessage();
        report.lastDiagnosis = previousDiagnosis(old, report.name);
        report.lastChange = previousChange(old, report.name);
        report.guardState = recordedGuard(old, report.name).orElse(null);
        events.record(resource, EventReason.DeploymentUnreadable, report.message);
        continue;
      }
      String key = fd.key();
      Optional<String> recorded = recordedGuard(old, report.name);
      StoredGuard stored = StoredGuard.of(fd, recorded, now);
      List<String> others = otherPolicies(actingOthers, fd);
      // A change in flight stays with the policy that made it (its status records it) until it is
      // verified or undone, whatever other policies start selecting the deployment meanwhile.
      boolean seeingItsChangeThrough =
          stored.state().inFlight().isPresent()
              && stored
                  .state()
                  .inFlight()
                  .map(GuardState.InFlight::id)
                  .equals(inFlightId(recorded));
      if (!others.isEmpty() && !seeingItsChangeThrough) {
        overlapping.add(fd.name());
        report.guardState = recorded.orElse(null);
        report.phase = "Conflict";
        report.message =
            "also selected by "
                + String.join(", ", others)
                + ": no action until one policy selects it";
        events.record(resource, EventReason.PolicyOverlap, report.message);
        continue;
      }
      ScrapeResult result = scraped.get(key);
      Optional<Instant> stateBegan =
          stored.state().inFlight().map(f -> f.rollbackAt().orElse(f.appliedAt()));
      if (result != null && stateBegan.isPresent() && result.at().isBefore(stateBegan.get())) {
        // Read before our own change (or its undoing) began: it says nothing about the job since.
        result = null;
      }
      Optional<DeploymentReport.Diagnosis> diag = Optional.empty();
      if (result != null && result.diagnosis().isPresent()) {
        diag = Optional.of(report(result.diagnosis().get()));
      }
      // A change in flight is judged on the deployment as the API server holds it now, not on a
      // cached copy that may lag behind the Flink operator's latest status.
      FlinkDeploymentDocument current = fd;
      if (stored.state().inFlight().isPresent()) {
        Optional<FlinkDeploymentDocument> fresh = read(context.getClient(), fd);
        if (fresh.isPresent()) {
          current = fresh.get();
          stored = StoredGuard.of(current, recorded, now);
        }
      }
      if (result != null
          && result.failure().isPresent()
          && !Guard.duringOurRestart(
              stored.state(), result.at(), settings.guard(), settings.scrapeInterval())) {
        unreadable.add(fd.name());
        events.record(
            resource,
            EventReason.ScrapeFailed,
            "cannot read Flink, no action: " + result.failure().get());
      }
      Outcome outcome =
          decideAndAct(context.getClient(), policy, current, stored, key, settings, result, now);
      if (outcome.conflicted()) {
        // Someone (or our own cache) was behind: re-read the deployment and decide once more on
        // what the API server holds now, never overwriting what changed.
        Optional<FlinkDeploymentDocument> fresh = read(context.getClient(), fd);
        if (fresh.isPresent()) {
          outcome =
              decideAndAct(
                  context.getClient(),
                  policy,
                  fresh.get(),
                  StoredGuard.of(fresh.get(), recorded, now),
                  key,
                  settings,
                  result,
                  now);
        }
        if (outcome.conflicted() || fresh.isEmpty()) {
          events.record(resource, EventReason.PatchRefused, outcome.message());
        }
      }
      report.phase = outcome.phase();
      report.message = outcome.message();
      report.lastDiagnosis = diag.orElse(previousDiagnosis(old, report.name));
      report.lastChange = outcome.change().orElse(previousChange(old, report.name));
      report.guardState = outcome.guardState();
      if (!others.isEmpty()) {
        report.message =
            outcome.message()
                + "; also selected by "
                + String.join(", ", others)
                + ": this policy sees its change through, then no action until one policy selects"
                + " it";
      }
      if (result != null && result.diagnosis().map(d -> d.symptom().sustained()).orElse(false)) {
        backpressured++;
      }
      if (outcome.inFlight()) {
        remediating++;
      }
    }
    status.deploymentsGoverned = governed.size();
    status.backpressured = backpressured;
    status.remediating = remediating;

    conditions.add(
        overlapping.isEmpty()
            ? Conditions.of(
                Conditions.READY,
                true,
                governed.isEmpty() ? Conditions.NO_DEPLOYMENTS : Conditions.WATCHING,
                governed.isEmpty()
                    ? "no FlinkDeployment matches the selector"
                    : "watching "
                        + governed.size()
                        + " FlinkDeployment(s) every "
                        + policy.getSpec().scrapeInterval
                        + (settings.enforce() ? ", enforcing" : ", dry run"),
                generation)
            : Conditions.of(
                Conditions.READY,
                false,
                Conditions.OVERLAPPING_POLICIES,
                "selected by other policies too, left alone: " + String.join(", ", overlapping),
                generation));
    conditions.add(
        Conditions.of(
            Conditions.BACKPRESSURED,
            backpressured > 0,
            backpressured > 0 ? Conditions.SUSTAINED_BACKPRESSURE : Conditions.NO_BACKPRESSURE,
            backpressured + " of " + governed.size() + " deployment(s) backpressured",
            generation));
    conditions.add(
        Conditions.of(
            Conditions.REMEDIATING,
            remediating > 0,
            remediating > 0 ? Conditions.CHANGE_IN_FLIGHT : Conditions.NO_CHANGE_IN_FLIGHT,
            remediating + " change(s) in flight",
            generation));
    conditions.add(
        Conditions.of(
            Conditions.DEGRADED,
            !unreadable.isEmpty(),
            unreadable.isEmpty() ? Conditions.ALL_READABLE : Conditions.FLINK_UNREADABLE,
            unreadable.isEmpty()
                ? "every governed job could be read"
                : "Flink REST or the FlinkDeployment could not be read (no action taken) for: "
                    + String.join(", ", unreadable),
            generation));
    return finish(policy, context, old, status, conditions, now, settings.scrapeInterval());
  }

  /**
   * The guard state of one deployment, read once. The annotation is on an object tenants may edit,
   * so the copy this policy's status keeps (which they cannot write, see the README) is the
   * reference: an annotation that is gone, unreadable, names settings the operator never writes, or
   * has lost changes or bars the copy holds, is replaced from the copy. Deleting or forging it thus
   * neither resets the daily budget nor forgets a change in flight, and never makes the operator
   * write what it does not own. One written by another release of the operator is left alone.
   *
   * @param text the annotation as it is, empty when absent
   * @param replaced why the annotation was not used as it is, when it was not
   * @param foreign why the annotation is left alone and nothing is done, when it is
   */
  private record StoredGuard(
      Optional<String> text,
      GuardState state,
      Optional<String> replaced,
      Optional<String> foreign) {

    static StoredGuard of(FlinkDeploymentDocument fd, Optional<String> recorded, Instant now) {
      Optional<String> text =
          Optional.ofNullable(fd.annotations().get(FlinkDeployments.GUARD_ANNOTATION));
      Optional<GuardState> record = recorded.flatMap(StoredGuard::readable);
      if (text.isEmpty()) {
        Optional<GuardState> kept = record.filter(r -> !r.equals(GuardState.initial()));
        return new StoredGuard(
            text,
            kept.orElse(GuardState.initial()),
            kept.map(r -> "it was removed, while this policy's status holds a record"),
            Optional.empty());
      }
      GuardState annotated;
      try {
        annotated = GuardStateJson.read(text.get());
      } catch (GuardStateJson.Unreadable e) {
        if (e.otherVersion() && record.isEmpty()) {
          return new StoredGuard(
              text, GuardState.initial(), Optional.empty(), Optional.of(e.getMessage()));
        }
        return new StoredGuard(
            text,
            record.orElse(GuardState.initial()),
            Optional.of(e.getMessage()),
            Optional.empty());
      }
      if (record.isPresent() && !extendsRecord(annotated, record.get(), now)) {
        return new StoredGuard(
            text,
            record.get(),
            Optional.of("it has lost changes or bars this policy's status records"),
            Optional.empty());
      }
      return new StoredGuard(text, annotated, Optional.empty(), Optional.empty());
    }

    /**
     * Whether the annotation holds everything the record does that still counts (a later pass only
     * adds to it): its change in flight as it was applied, or that change ended; its changes of the
     * last day, unaltered; its bars, none shortened. A change in flight older than a day is left
     * out: no change is followed that long, and the record may be older than the annotation.
     */
    private static boolean extendsRecord(GuardState annotated, GuardState record, Instant now) {
      Instant dayAgo = now.minus(Duration.ofDays(1));
      Map<String, GuardState.PastChange> past = new HashMap<>();
      annotated.history().forEach(h -> past.put(h.id(), h));
      boolean inFlightKept =
          record
              .inFlight()
              .filter(f -> f.appliedAt().isAfter(dayAgo))
              .map(
                  f ->
                      past.containsKey(f.id())
                          || annotated
                              .inFlight()
                              .filter(
                                  g ->
                                      g.id().equals(f.id())
                                          && g.changes().equals(f.changes())
                                          && g.appliedAt().equals(f.appliedAt())
                                          && g.baseline().equals(f.baseline()))
                              .isPresent())
              .orElse(true);
      boolean historyKept =
          record.history().stream()
              .filter(h -> h.endedAt().isAfter(dayAgo))
              .allMatch(h -> h.equals(past.get(h.id())));
      boolean barsKept =
          record.barred().stream()
              .filter(b -> b.until().isAfter(now))
              .allMatch(
                  b ->
                      annotated
                          .barFor(b.key(), now)
                          .filter(a -> !a.until().isBefore(b.until()))
                          .isPresent());
      return inFlightKept && historyKept && barsKept;
    }

    private static Optional<GuardState> readable(String text) {
      try {
        return text.isEmpty() ? Optional.empty() : Optional.of(GuardStateJson.read(text));
      } catch (GuardStateJson.Unreadable e) {
        return Optional.empty();
      }
    }
  }

  /** The guard state this policy's status recorded for a deployment in the last pass. */
  private static Optional<String> recordedGuard(RemediationPolicyStatus old, String name) {
    return old.deployments.stream()
        .filter(x -> name.equals(x.name) && x.guardState != null && !x.guardState.isEmpty())
        .map(x -> x.guardState)
        .findFirst();
  }

  private static Optional<String> inFlightId(Optional<String> recorded) {
    return recorded
        .flatMap(StoredGuard::readable)
        .flatMap(GuardState::inFlight)
        .map(GuardState.InFlight::id);
  }

  /** What happened to one deployment in this pass. */
  private record Outcome(
      String phase,
      String message,
      Optional<DeploymentReport.Change> change,
      String guardState,
      boolean inFlight,
      boolean conflicted) {}

  /** The deployment as the API server holds it now; empty when it is gone or cannot be read. */
  private static Optional<FlinkDeploymentDocument> read(
      KubernetesClient client, FlinkDeploymentDocument fd) {
    GenericKubernetesResource now =
        flinkDeployments(client).inNamespace(fd.namespace()).withName(fd.name()).get();
    if (now == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(FlinkDeploymentDocument.read(now));
    } catch (FlinkDeploymentDocument.Unreadable e) {
      return Optional.empty();
    }
  }

  private static MixedOperation<
          GenericKubernetesResource,
          GenericKubernetesResourceList,
          Resource<GenericKubernetesResource>>
      flinkDeployments(KubernetesClient client) {
    return client.genericKubernetesResources(
        FlinkDeploymentDocument.API_VERSION, FlinkDeploymentDocument.KIND);
  }

  private Outcome decideAndAct(
      KubernetesClient client,
      RemediationPolicy policy,
      FlinkDeploymentDocument fd,
      StoredGuard stored,
      String key,
      PolicySettings settings,
      ScrapeResult result,
      Instant now) {
    try {
      return remediate(client, policy, fd, stored, settings, Optional.ofNullable(result), now);
    } catch (RuntimeException e) {
      // One deployment's trouble must not stop the others, nor the periodic passes.
      LOG.warn("deciding for {} failed", key, e);
      String why = "no action: deciding failed with " + e;
      events.record(fd.resource(), EventReason.ChangeSkipped, why);
      return new Outcome(
          "Held", why, Optional.empty(), GuardStateJson.write(stored.state()), false, false);
    }
  }

  private Outcome remediate(
      KubernetesClient client,
      RemediationPolicy policy,
      FlinkDeploymentDocument fd,
      StoredGuard stored,
      PolicySettings settings,
      Optional<ScrapeResult> result,
      Instant now) {
    if (stored.foreign().isPresent()) {
      String message =
          "annotation "
              + FlinkDeployments.GUARD_ANNOTATION
              + " left as it is, no action: "
              + stored.foreign().get();
      events.record(fd.resource(), EventReason.GuardStateUnreadable, message);
      return new Outcome("Held", message, Optional.empty(), stored.text().get(), false, false);
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
    metrics.decided(decision.kind());
    String nextJson = GuardStateJson.write(decision.next());
    boolean stateChanged =
        stored.replaced().isPresent()
            || (!decision.next().equals(state)
                && !(stored.text().isEmpty() && decision.next().equals(GuardState.initial())));
    if (!decision.patch().isEmpty() || stateChanged) {
      try {
        patch(client, fd, decision.patch(), nextJson);
      } catch (KubernetesClientException e) {
        WriteFailure failure =
            WriteFailure.of(
                e.getCode(),
                e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage(),
                fd.namespace());
        if (failure.kind() != WriteFailure.Kind.CONFLICT) {
          events.record(fd.resource(), EventReason.PatchRefused, failure.message());
        }
        return new Outcome(
            "Held",
            failure.message(),
            Optional.empty(),
            GuardStateJson.write(stored.state()),
            state.inFlight().isPresent(),
            failure.kind() == WriteFailure.Kind.CONFLICT);
      }
    }
    report(policy, fd, decision, diagnosis);
    boolean inFlight = decision.next().inFlight().isPresent();
    return new Outcome(
        phase(decision, diagnosis),
        decision.reason(),
        change(decision, state, now),
        nextJson,
        inFlight,
        false);
  }

  private void patch(
      KubernetesClient client,
      FlinkDeploymentDocument fd,
      List<SettingChange> changes,
      String guardJson) {
    String body = DeploymentPatch.of(fd, changes, guardJson);
    GenericKubernetesResource updated =
        flinkDeployments(client)
            .inNamespace(fd.namespace())
            .withName(fd.name())
            .patch(PatchContext.of(PatchType.JSON), body);
    // Our own write goes into the informer's cache at once, so that the next pass decides on it
    // rather than on the version before it.
    if (updated != null) {
      deployments.handleRecentResourceUpdate(
          ResourceID.fromResource(updated), updated, fd.resource());
    }
  }

  private void report(
      RemediationPolicy policy,
      FlinkDeploymentDocument fd,
      Decision d,
      Optional<Diagnosis> diagnosis) {
    diagnosis
        .filter(x -> x.symptom().sustained())
        .ifPresent(
            x ->
                events.record(
                    fd.resource(),
                    EventReason.BackpressureDiagnosed,
                    x.cause().title()
                        + x.bottleneck().map(v -> " at '" + v.name() + "'").orElse("")
                        + String.format(" (confidence %.2f): ", x.confidence())
                        + x.evidence().stream()
                            .limit(4)
                            .map(Evidence::describe)
                            .collect(Collectors.joining("; "))));
    switch (d.kind()) {
      case PLANNED -> both(policy, fd, EventReason.ChangePlanned, d.reason() + changes(d.plan()));
      case ADVICE ->
          events.record(fd.resource(), EventReason.AdviceOnly, d.reason() + advice(d.plan()));
      case SKIPPED ->
          events.record(
              fd.resource(),
              d.reason().contains("autoscaler")
                  ? EventReason.AutoscalerOwnsParallelism
                  : EventReason.ChangeSkipped,
              d.reason());
      case APPLY ->
          both(
              policy,
              fd,
              EventReason.ChangeApplied,
              d.reason()
                  + ": "
                  + d.patch().stream()
                      .map(SettingChange::describe)
                      .collect(Collectors.joining("; ")));
      case VERIFIED -> both(policy, fd, EventReason.ChangeVerified, d.reason());
      case ROLL_BACK, NOT_TAKEN ->
          both(
              policy,
              fd,
              d.kind() == Decision.Kind.ROLL_BACK
                  ? EventReason.ChangeRolledBack
                  : EventReason.ChangeNotTaken,
              d.reason()
                  + "; restoring "
                  + d.patch().stream()
                      .map(SettingChange::describe)
                      .collect(Collectors.joining("; ")));
      case ROLLED_BACK -> events.record(fd.resource(), EventReason.RollbackCompleted, d.reason());
      case RESTORED -> events.record(fd.resource(), EventReason.RestoreCompleted, d.reason());
      case CONFLICT -> both(policy, fd, EventReason.ConflictingEdit, d.reason());
      case NOTHING, WAITING -> {}
    }
  }

  private void both(
      RemediationPolicy policy, FlinkDeploymentDocument fd, EventReason reason, String message) {
    events.record(fd.resource(), reason, message);
    events.record(policy, reason, fd.name() + ": " + message);
  }

  private static String changes(Optional<Plan> plan) {
    return plan.filter(p -> p instanceof Plan.Change)
        .map(
            p ->
                ": "
                    + ((Plan.Change) p)
                        .changes().stream()
                            .map(SettingChange::describe)
                            .collect(Collectors.joining("; ")))
        .orElse("");
  }

  private static String advice(Optional<Plan> plan) {
    return plan.filter(p -> p instanceof Plan.Advice)
        .map(p -> ": " + String.join("; ", ((Plan.Advice) p).actions()))
        .orElse("");
  }

  private static String phase(Decision d, Optional<Diagnosis> diagnosis) {
    return switch (d.kind()) {
      case APPLY -> "Remediating";
      case WAITING ->
          d.next()
              .inFlight()
              .map(
                  f ->
                      f.phase() == GuardState.Phase.VERIFYING
                          ? "Verifying"
                          : f.phase() == GuardState.Phase.ROLLING_BACK
                              ? "RollingBack"
                              : f.phase() == GuardState.Phase.RESTORING
                                  ? "Restoring"
                                  : "Remediating")
              .orElse("Remediating");
      case VERIFIED -> "Verified";
      case ROLL_BACK -> "RollingBack";
      case NOT_TAKEN -> "Restoring";
      case ROLLED_BACK -> "RolledBack";
      case RESTORED -> "Restored";
      case CONFLICT -> "Conflict";
      case PLANNED -> "Planned";
      case ADVICE -> "Advised";
      case SKIPPED -> "Held";
      case NOTHING ->
          diagnosis.isEmpty()
              ? "Unreadable"
              : diagnosis.get().symptom().sustained() ? "Backpressured" : "Healthy";
    };
  }

  /**
   * The change a decision is about. One that follows a change in flight reports that change (what
   * it set, when) with the new outcome, not the restore patch or the time of the verdict.
   */
  private static Optional<DeploymentReport.Change> change(
      Decision d, GuardState before, Instant now) {
    if (d.kind() != Decision.Kind.APPLY
        && d.kind() != Decision.Kind.VERIFIED
        && d.kind() != Decision.Kind.ROLL_BACK
        && d.kind() != Decision.Kind.NOT_TAKEN
        && d.kind() != Decision.Kind.ROLLED_BACK
        && d.kind() != Decision.Kind.RESTORED
        && d.kind() != Decision.Kind.CONFLICT
        && d.kind() != Decision.Kind.PLANNED) {
      return Optional.empty();
    }
    DeploymentReport.Change c = new DeploymentReport.Change();
    Optional<GuardState.InFlight> followed = before.inFlight();
    if (followed.isPresent()) {
      c.summary = followed.get().reason();
      c.changes = followed.get().changes().stream().map(SettingChange::describe).toList();
      c.appliedAt = followed.get().appliedAt().toString();
    } else {
      c.summary = d.plan().map(Plan::summary).orElse(d.reason());
      c.changes =
          (d.patch().isEmpty() && d.plan().filter(p -> p instanceof Plan.Change).isPresent()
                  ? ((Plan.Change) d.plan().get()).changes()
                  : d.patch())
              .stream().map(SettingChange::describe).toList();
      c.appliedAt = d.kind() == Decision.Kind.PLANNED ? null : now.toString();
    }
    c.outcome = d.kind().name();
    c.reason = d.reason();
    return Optional.of(c);
  }

  private static DeploymentReport.Diagnosis report(Diagnosis d) {
    DeploymentReport.Diagnosis r = new DeploymentReport.Diagnosis();
    r.cause =
        d.symptom().sustained() || d.cause() != Cause.HEALTHY
            ? d.cause().name()
            : Cause.HEALTHY.name();
    r.vertex = d.bottleneck().map(v -> v.name()).orElse(null);
    r.confidence = Math.round(d.confidence() * 100) / 100.0;
    r.evidence = d.evidence().stream().map(Evidence::describe).limit(8).toList();
    r.time = d.at().toString();
    return r;
  }

  private static DeploymentReport.Diagnosis previousDiagnosis(
      RemediationPolicyStatus old, String name) {
    return old.deployments.stream()
        .filter(x -> name.equals(x.name))
        .map(x -> x.lastDiagnosis)
        .filter(Objects::nonNull)
        .findFirst()
        .orElse(null);
  }

  private static DeploymentReport.Change previousChange(RemediationPolicyStatus old, String name) {
    return old.deployments.stream()
        .filter(x -> name.equals(x.name))
        .map(x -> x.lastChange)
        .filter(Objects::nonNull)
        .findFirst()
        .orElse(null);
  }

  /** Other valid policies of the namespace that select the same deployment. */
  /**
   * The other valid policies of the namespace, parsed once per pass: an invalid policy acts on
   * nothing, so it keeps no other from acting.
   */
  private static List<RemediationPolicy> actingOthers(
      RemediationPolicy policy, Context<RemediationPolicy> context) {
    return context
        .getPrimaryCache()
        .list(
            policy.getMetadata().getNamespace(),
            p ->
                !p.getMetadata().getName().equals(policy.getMetadata().getName())
                    && p.getSpec() != null
                    && PolicySettings.parse(p.getSpec()).settings().isPresent())
        .toList();
  }

  /** The names of those of them that select the deployment. */
  private static List<String> otherPolicies(
      List<RemediationPolicy> others, FlinkDeploymentDocument fd) {
    return others.stream()
        .filter(p -> FlinkDeployments.selects(p.getSpec().selector, fd.labels()))
        .map(p -> p.getMetadata().getName())
        .sorted()
        .toList();
  }

  /**
   * Writes the status only when something in it changed (conditions keep their transition times).
   */
  private UpdateControl<RemediationPolicy> finish(
      RemediationPolicy policy,
      Context<RemediationPolicy> context,
      RemediationPolicyStatus old,
      RemediationPolicyStatus status,
      List<Condition> conditions,
      Instant now,
      Duration next) {
    status.conditions = Conditions.merge(old.conditions, conditions, now);
    if (StatusComparison.same(old, status)) {
      return UpdateControl.<RemediationPolicy>noUpdate().rescheduleAfter(next);
    }
    // The whole status replaced, with optimistic locking, and the result cached for the next pass:
    // a JSON patch computed against a cached copy that lags behind the API server (the framework's
    // default without server-side apply) addresses list elements that are no longer there.
    PrimaryUpdateAndCacheUtils.updateStatusAndCacheResource(
        policy,
        context,
        p -> {
          RemediationPolicy update = new RemediationPolicy();
          update.setMetadata(p.getMetadata());
          update.setStatus(status);
          return update;
        });
    // Guard timers (verification windows, stabilization timeouts) run on the clock, not on events:
    // come back every scrape interval even when a scrape brought nothing new.
    return UpdateControl.<RemediationPolicy>noUpdate().rescheduleAfter(next);
  }
}
