package dev.backpressure.operator;

import dev.backpressure.api.RemediationPolicy;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.flink.rest.FlinkRestClient;
import dev.backpressure.flink.rest.ScrapeException;
import dev.backpressure.flink.rest.SnapshotReader;
import dev.backpressure.remediation.Measures;
import dev.backpressure.watch.JobWatch;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.javaoperatorsdk.operator.processing.event.source.polling.PerResourcePollingEventSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Scrapes every FlinkDeployment a policy governs, one policy per poll, the deployments side by side
 * on a bounded pool (their HTTP requests on a second one, so that a scrape never waits for a thread
 * its own siblings hold), all over one HTTP client. Only the leading replica scrapes. Keeps one
 * {@link JobWatch} (the window of snapshots) per deployment and job, so that a resubmitted job
 * starts a fresh window, and forgets it once the deployment has not been scraped for a while (no
 * longer selected, deleted, or its policy gone).
 */
final class FlinkScraper
    implements PerResourcePollingEventSource.ResourceFetcher<ScrapeResult, RemediationPolicy> {

  private final Function<RemediationPolicy, List<GenericKubernetesResource>> governed;
  private final ScrapePools pools;
  private final Clock clock;
  private final OperatorMetrics metrics;
  private final ScrapeSettings reading;
  private final HttpClient http;
  private final BooleanSupplier leading;
  private final Liveness liveness;
  private final Map<DeploymentKey, Watched> watches = new ConcurrentHashMap<>();
  private final Map<DeploymentKey, Instant> forgetAfter = new ConcurrentHashMap<>();

  private record Watched(String url, String jobId, SnapshotReader reader, JobWatch watch) {}

  FlinkScraper(
      Function<RemediationPolicy, List<GenericKubernetesResource>> governed,
      ScrapePools pools,
      Clock clock,
      OperatorMetrics metrics,
      ScrapeSettings reading,
      BooleanSupplier leading,
      Liveness liveness) {
    this.governed = governed;
    this.pools = pools;
    this.clock = clock;
    this.metrics = metrics;
    this.reading = reading;
    this.http = FlinkRestClient.httpClient(reading.requestTimeout());
    this.leading = leading;
    this.liveness = liveness;
  }

  @Override
  public Set<ScrapeResult> fetchResources(RemediationPolicy policy) {
    return liveness.during(
        "scraping for policy "
            + policy.getMetadata().getNamespace()
            + "/"
            + policy.getMetadata().getName(),
        () -> fetchNow(policy));
  }

  private Set<ScrapeResult> fetchNow(RemediationPolicy policy) {
    Optional<PolicySettings> settings = PolicySettings.parse(policy.getSpec()).settings();
    if (settings.isEmpty()) {
      return Set.of();
    }
    if (!leading.getAsBoolean()) {
      // JOSDK polls on stand-by replicas too; only the leader's scrapes are ever used, and each
      // stand-by would add its own load on every JobManager.
      metrics.standbyPoll();
      return Set.of();
    }
    forgetUnscraped(clock.instant());
    Map<DeploymentKey, Future<ScrapeResult>> running = new LinkedHashMap<>();
    for (GenericKubernetesResource resource : governed.apply(policy)) {
      FlinkDeploymentDocument fd;
      try {
        fd = FlinkDeploymentDocument.read(resource);
      } catch (FlinkDeploymentDocument.Unreadable e) {
        continue; // the reconciler reports it; no request goes out for an object it cannot read
      }
      DeploymentKey key = fd.key();
      running.put(key, pools.scrapes().submit(() -> scrape(key, fd, settings.get())));
    }
    Set<ScrapeResult> results = new HashSet<>();
    long deadline = System.nanoTime() + reading.requestTimeout().multipliedBy(3).toNanos();
    for (Map.Entry<DeploymentKey, Future<ScrapeResult>> e : running.entrySet()) {
      try {
        results.add(
            e.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      } catch (Exception ex) {
        e.getValue().cancel(true);
        results.add(
            ScrapeResult.failed(e.getKey(), clock.instant(), "scrape did not finish: " + ex));
      }
    }
    return results;
  }

  /**
   * A deployment not scraped for three of its intervals and a minute is no longer governed by any
   * live policy: its window would only hold memory (and stale snapshots should it come back).
   */
  private void forgetUnscraped(Instant now) {
    forgetAfter.forEach(
        (key, after) -> {
          if (now.isAfter(after) && forgetAfter.remove(key, after)) {
            watches.remove(key);
          }
        });
  }

  /** How many deployments' windows are held, for tests. */
  int watchedDeployments() {
    return watches.size();
  }

  @Override
  public Optional<Duration> fetchDelay(Set<ScrapeResult> lastFetched, RemediationPolicy policy) {
    return PolicySettings.parse(policy.getSpec()).settings().map(PolicySettings::scrapeInterval);
  }

  private ScrapeResult scrape(
      DeploymentKey key, FlinkDeploymentDocument fd, PolicySettings settings) {
    long start = System.nanoTime();
    Instant at = clock.instant();
    forgetAfter.put(key, at.plus(settings.scrapeInterval().multipliedBy(3)).plusSeconds(60));
    URI address;
    try {
      address = reading.addresses().resolve(settings.restUrlTemplate(), fd.name(), fd.namespace());
      reading.addresses().checkResolved(address);
    } catch (RestAddresses.Refused e) {
      metrics.scrapeFailed(OperatorMetrics.REFUSED_ADDRESS);
      return ScrapeResult.failed(key, at, e.getMessage());
    }
    String url = address.toString();
    String knownJob = fd.jobId().orElse(null);
    try {
      Watched w = watches.get(key);
      if (w == null || !w.url().equals(url) || (knownJob != null && !knownJob.equals(w.jobId()))) {
        SnapshotReader reader =
            new SnapshotReader(
                new FlinkRestClient(
                    http, address, reading.requestTimeout(), reading.maxAnswerBytes()),
                pools.requests(),
                clock);
        String jobId = knownJob != null ? knownJob : reader.resolveJob(null);
        w =
            new Watched(
                url,
                jobId,
                reader,
                new JobWatch(
                    reader,
                    jobId,
                    settings.thresholds(),
                    settings.windowSize(),
                    settings.windowMaxAge()));
        watches.put(key, w);
      }
      Diagnosis d = w.watch().observe();
      metrics.scraped(Duration.ofNanos(System.nanoTime() - start), d);
      return new ScrapeResult(
          key,
          at,
          Optional.of(d),
          w.watch().window().latest(),
          Measures.over(w.watch().window().snapshots()),
          Optional.empty());
    } catch (ScrapeException e) {
      metrics.scrapeFailed(e.failure().name());
      return ScrapeResult.failed(key, at, e.getMessage());
    } catch (RuntimeException e) {
      metrics.scrapeFailed(OperatorMetrics.ERROR);
      return ScrapeResult.failed(key, at, "reading " + url + " failed: " + e);
    }
  }
}
