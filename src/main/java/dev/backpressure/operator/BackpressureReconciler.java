package dev.backpressure.operator;

import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.api.RemediationPolicyStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.MaxReconciliationInterval;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.ResourceCache;
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
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

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

  /** An invalid policy is looked at again this often even when nobody edits it. */
  private static final Duration INVALID_RETRY = Duration.ofMinutes(5);

  private final Clock clock;
  private final ScrapePools pools;
  private final OperatorMetrics metrics;
  private final ScrapeSettings scrape;
  private final BooleanSupplier leading;
  private final Liveness liveness;
  private final boolean sharded;
  private volatile InformerEventSource<GenericKubernetesResource, RemediationPolicy> deployments;

  /** Every policy, this shard's and the others', when the operator handles one shard. */
  private volatile InformerEventSource<RemediationPolicy, RemediationPolicy> everyShard;

  private volatile EventRecorder events;

  /**
   * @param sharded whether this operator handles only the policies its label selector matches: then
   *     it also watches the others, so that a deployment another shard's policy selects too is a
   *     conflict here as well
   */
  public BackpressureReconciler(
      Clock clock,
      ScrapePools pools,
      OperatorMetrics metrics,
      ScrapeSettings scrape,
      BooleanSupplier leading,
      Liveness liveness,
      boolean sharded) {
    this.clock = clock;
    this.pools = pools;
    this.metrics = metrics;
    this.scrape = scrape;
    this.leading = leading;
    this.liveness = liveness;
    this.sharded = sharded;
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
    PerResourcePollingEventSource<ScrapeResult, RemediationPolicy, DeploymentKey> polling =
        new PerResourcePollingEventSource<>(
            ScrapeResult.class,
            context,
            new PerResourcePollingConfigurationBuilder<
                    ScrapeResult, RemediationPolicy, DeploymentKey>(scraper, Duration.ofSeconds(30))
                .withExecutorService(pools.polls())
                .withResourceIDMapper(ScrapeResult::deployment)
                .withName("flink-rest")
                .build());
    if (!sharded) {
      return List.of(deployments, polling);
    }
    // A new, deleted or respecified policy of any shard may start or end an overlap: this shard's
    // policies of its namespace look again. Status writes leave the generation alone.
    everyShard =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(RemediationPolicy.class, RemediationPolicy.class)
                .withName("policies-of-every-shard")
                .withNamespacesInheritedFromController()
                .withSecondaryToPrimaryMapper(
                    other ->
                        context
                            .getPrimaryCache()
                            .list(other.getMetadata().getNamespace())
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .withOnUpdateFilter(
                    (now, before) ->
                        !Objects.equals(
                                now.getMetadata().getGeneration(),
                                before.getMetadata().getGeneration())
                            || !Objects.equals(
                                now.getMetadata().getLabels(), before.getMetadata().getLabels()))
                .build(),
            context);
    return List.of(deployments, polling, everyShard);
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

  /** One pass: observe (the scrapes delivered), decide and act per deployment, report. */
  private UpdateControl<RemediationPolicy> reconcileNow(
      RemediationPolicy policy, Context<RemediationPolicy> context) {
    Instant now = clock.instant();
    long generation = Objects.requireNonNullElse(policy.getMetadata().getGeneration(), 0L);
    PreviousStatus old = PreviousStatus.of(policy);
    PolicySettings.Parsed parsed = PolicySettings.parse(policy.getSpec());
    List<String> problems = new ArrayList<>(parsed.problems());
    parsed
        .settings()
        .flatMap(s -> scrape.addresses().problemWith(s.restUrlTemplate(), namespace(policy)))
        .ifPresent(problems::add);
    if (!problems.isEmpty()) {
      String message =
          "the policy is not valid, nothing is watched: " + String.join("; ", problems);
      events.record(policy, EventReason.PolicyInvalid, message);
      metrics.governing(namespace(policy), policy.getMetadata().getName(), Set.of());
      return finish(
          policy, context, old, PolicyReport.invalid(old, message, generation), now, INVALID_RETRY);
    }
    PolicySettings settings = parsed.settings().get();
    Map<DeploymentKey, ScrapeResult> scraped = new HashMap<>();
    context.getSecondaryResources(ScrapeResult.class).forEach(r -> scraped.put(r.deployment(), r));
    DeploymentPass pass =
        new DeploymentPass(
            policy,
            settings,
            old,
            actingOthers(policy, context),
            scraped,
            now,
            new DeploymentWriter(context.getClient(), deployments),
            events,
            metrics);
    List<PolicyReport.Entry> entries = governed(policy).stream().map(pass::run).toList();
    metrics.governing(
        namespace(policy),
        policy.getMetadata().getName(),
        entries.stream().map(e -> e.report().name).collect(Collectors.toSet()));
    RemediationPolicyStatus status =
        PolicyReport.of(entries, generation, policy.getSpec().scrapeInterval, settings.enforce());
    return finish(policy, context, old, status, now, settings.scrapeInterval());
  }

  private static String namespace(RemediationPolicy policy) {
    return policy.getMetadata().getNamespace();
  }

  /**
   * The other valid policies of the namespace, parsed once per pass: an invalid policy acts on
   * nothing, so it keeps no other from acting.
   */
  private List<RemediationPolicy> actingOthers(
      RemediationPolicy policy, Context<RemediationPolicy> context) {
    ResourceCache<RemediationPolicy> all =
        everyShard != null ? everyShard : context.getPrimaryCache();
    return all.list(
            policy.getMetadata().getNamespace(),
            p ->
                !p.getMetadata().getName().equals(policy.getMetadata().getName())
                    && p.getSpec() != null
                    && PolicySettings.parse(p.getSpec()).settings().isPresent())
        .toList();
  }

  /**
   * Writes the status only when something in it changed (conditions keep their transition times).
   */
  private UpdateControl<RemediationPolicy> finish(
      RemediationPolicy policy,
      Context<RemediationPolicy> context,
      PreviousStatus old,
      RemediationPolicyStatus status,
      Instant now,
      Duration next) {
    status.conditions = Conditions.merge(old.status().conditions, status.conditions, now);
    if (StatusComparison.same(old.status(), status)) {
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
