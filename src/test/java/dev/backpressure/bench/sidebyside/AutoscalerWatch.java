package dev.backpressure.bench.sidebyside;

import dev.backpressure.remediation.ParallelismOverrides;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.autoscaler.JobAutoScalerContext;
import org.apache.flink.autoscaler.JobAutoScalerImpl;
import org.apache.flink.autoscaler.RestApiMetricsCollector;
import org.apache.flink.autoscaler.ScalingExecutor;
import org.apache.flink.autoscaler.ScalingMetricEvaluator;
import org.apache.flink.autoscaler.ScalingSummary;
import org.apache.flink.autoscaler.config.AutoScalerOptions;
import org.apache.flink.autoscaler.event.AutoScalerEventHandler;
import org.apache.flink.autoscaler.realizer.ScalingRealizer;
import org.apache.flink.autoscaler.state.InMemoryAutoScalerStateStore;
import org.apache.flink.autoscaler.tuning.ConfigChanges;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.runtime.highavailability.nonha.standalone.StandaloneClientHAServices;
import org.apache.flink.runtime.jobgraph.JobVertexID;

/**
 * The Flink Kubernetes Operator's autoscaler, wired from its own parts as its standalone entry
 * point wires them (REST metrics collector, evaluator, executor, an in-memory state store), with a
 * realizer that records the parallelism it would apply instead of applying it. One instance follows
 * one deployment across restarts, as the operator keeps its state per resource.
 */
final class AutoscalerWatch {

  /**
   * The standalone autoscaler's default loop. Inside the Flink Kubernetes Operator it runs at each
   * reconcile, every 60 s by default, so there its decisions come up to 50 s later than here.
   */
  static final Duration TICK = Duration.ofSeconds(10);

  private final String key;
  private final Configuration conf;
  private final Recorder recorder = new Recorder();
  private final JobAutoScalerImpl<String, JobAutoScalerContext<String>> scaler;

  /**
   * @param key the deployment's key in the state store, the same for every run of its job
   * @param conf the job's configuration with the autoscaler's keys
   */
  AutoscalerWatch(String key, Configuration conf) {
    this.key = key;
    this.conf = conf;
    InMemoryAutoScalerStateStore<String, JobAutoScalerContext<String>> store =
        new InMemoryAutoScalerStateStore<>();
    this.scaler =
        new JobAutoScalerImpl<>(
            new RestApiMetricsCollector<>(),
            new ScalingMetricEvaluator(),
            new ScalingExecutor<>(recorder, store),
            recorder,
            recorder,
            store);
  }

  /** Looks at one run of the job; only one run is watched at a time. */
  Observer watching(JobRun run) {
    recorder.begin(run.job, run.names);
    return new Observer() {
      private final CompletableFuture<Decision> decision = new CompletableFuture<>();

      @Override
      public Duration every() {
        return TICK;
      }

      @Override
      public void look() {
        recorder.lastEvent = null;
        try {
          // The status the standalone autoscaler reads from /jobs/overview before each tick.
          JobStatus status =
              run.flink.miniCluster().getJobStatus(run.job).get(10, TimeUnit.SECONDS);
          scaler.scale(context(run, status));
        } catch (Exception e) {
          if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
          }
          recorder.lastEvent = "tick failed: " + e;
        }
        // The realizer is called in the same scale() as the scaling report, so both are in.
        recorder.decision().ifPresent(decision::complete);
      }

      @Override
      public CompletableFuture<Decision> decision() {
        return decision;
      }

      @Override
      public Optional<String> aside() {
        return Optional.ofNullable(recorder.lastEvent);
      }
    };
  }

  /**
   * A context as the standalone job-list fetcher builds one. The collector closes the client after
   * every request, so the supplier makes a new one each time.
   */
  private JobAutoScalerContext<String> context(JobRun run, JobStatus status) {
    String rest = run.restUrl().toString();
    Configuration withSources = new Configuration(conf);
    withSources.set(AutoScalerOptions.VERTEX_EXCLUDE_IDS, sources(run));
    return new JobAutoScalerContext<>(
        key,
        run.job,
        status,
        withSources,
        new UnregisteredMetricsGroup(),
        () ->
            new RestClusterClient<>(
                new Configuration(), key, (c, e) -> new StandaloneClientHAServices(rest)));
  }

  /**
   * The jobs' sources pace themselves by sleeping in a map chained to them, which Flink counts as
   * busy time, where a real source waiting for data is idle: the autoscaler takes them for
   * bottlenecks and raises them on every run (1→2→4→7 in three restarts, measured). They are kept
   * out of its scaling, as a source fixed by its topic's partitions would be.
   */
  private static List<String> sources(JobRun run) {
    List<String> ids = new ArrayList<>();
    run.names.forEach(
        (id, name) -> {
          if (name.startsWith("Source:")) {
            ids.add(id.toString());
          }
        });
    return ids;
  }

  /** A parallelism before and after, as a scaling report gives it. */
  private record Step(int from, int to) {}

  /**
   * Takes the autoscaler's events and its realizer's calls, and keeps the first scaling report of
   * the run and the overrides it would apply with it, instead of applying anything.
   */
  private static final class Recorder
      implements AutoScalerEventHandler<String, JobAutoScalerContext<String>>,
          ScalingRealizer<String, JobAutoScalerContext<String>> {

    private volatile JobID job;
    private volatile Map<JobVertexID, String> names = Map.of();
    private volatile Instant reportedAt;
    private volatile Map<String, Step> report;
    private volatile Map<String, String> realized;
    // The overrides of the decision rolled out last: the store hands them to the realizer again on
    // every tick of the next run, and they are not a new decision.
    private volatile Map<String, String> rolledOut = Map.of();
    volatile String lastEvent;

    void begin(JobID job, Map<JobVertexID, String> names) {
      this.job = job;
      this.names = names;
      reportedAt = null;
      report = null;
      realized = null;
      lastEvent = null;
    }

    @Override
    public void handleEvent(
        JobAutoScalerContext<String> context,
        AutoScalerEventHandler.Type type,
        String reason,
        String message,
        String messageKey,
        Duration interval) {
      // Errors and memory pressure: why there is no scaling report, when there is none.
      lastEvent = reason + ": " + message;
    }

    @Override
    public void handleScalingEvent(
        JobAutoScalerContext<String> context,
        Map<JobVertexID, ScalingSummary> summaries,
        String message,
        Duration interval) {
      if (realized != null || !job.equals(context.getJobID())) {
        return;
      }
      // The latest report until one is realized (a report can be blocked before it is stored).
      // Copied now: the summaries live on in the autoscaler's history.
      Map<String, Step> steps = new TreeMap<>();
      summaries.forEach(
          (id, s) ->
              steps.put(
                  names.getOrDefault(id, id.toString()),
                  new Step(s.getCurrentParallelism(), s.getNewParallelism())));
      reportedAt = Instant.now();
      report = steps;
    }

    /**
     * Called at the end of every tick once overrides are stored, so only a call after this run's
     * report carries its decision.
     */
    @Override
    public void realizeParallelismOverrides(
        JobAutoScalerContext<String> context, Map<String, String> overrides) {
      if (report != null
          && realized == null
          && job.equals(context.getJobID())
          && !overrides.equals(rolledOut)) {
        realized = Map.copyOf(overrides);
      }
    }

    /** Called only with job.autoscaler.memory.tuning.enabled, which neither run sets. */
    @Override
    public void realizeConfigOverrides(
        JobAutoScalerContext<String> context, ConfigChanges changes) {
      lastEvent = "memory tuning: " + changes.getOverrides();
    }

    Optional<Decision> decision() {
      Map<String, Step> steps = report;
      Map<String, String> overrides = realized;
      if (steps == null || overrides == null) {
        return Optional.empty();
      }
      List<String> parts = new ArrayList<>();
      Set<String> raised = new TreeSet<>();
      steps.forEach(
          (name, s) -> {
            parts.add(name + " " + s.from() + "→" + s.to());
            if (s.to() > s.from()) {
              raised.add(name);
            }
          });
      rolledOut = overrides;
      Map<String, Integer> parallelism = new HashMap<>();
      overrides.forEach((vertex, p) -> parallelism.put(vertex, Integer.parseInt(p)));
      String value = ParallelismOverrides.format(parallelism);
      return Optional.of(
          new Decision(
              reportedAt,
              String.join(", ", parts),
              raised,
              Set.of(),
              Optional.of(d -> d.with(ParallelismOverrides.KEY, value))));
    }
  }
}
