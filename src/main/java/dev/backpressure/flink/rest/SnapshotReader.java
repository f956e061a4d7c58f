package dev.backpressure.flink.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.backpressure.flink.Aggregate;
import dev.backpressure.flink.FlameGraph;
import dev.backpressure.flink.FlinkVersion;
import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.JobState;
import dev.backpressure.flink.Measurements;
import dev.backpressure.flink.SnapshotCheck;
import dev.backpressure.flink.TaskManagerInfo;
import dev.backpressure.flink.TaskManagerMetric;
import dev.backpressure.flink.Vertex;
import dev.backpressure.flink.VertexMetric;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads one {@link JobSnapshot} of a job: six fixed requests plus one per vertex, overlapped on a
 * bounded pool (one more for the TaskManager list on the first read and when TaskManagers come or
 * go, and one per flame graph asked for). Either every request succeeds and a snapshot is returned,
 * or a {@link ScrapeException} says which one failed and why: a partial read never leaves this
 * class.
 */
public final class SnapshotReader {

  private static final String TASK_MANAGER_METRICS =
      Arrays.stream(TaskManagerMetric.values())
          .map(TaskManagerMetric::flinkName)
          .collect(Collectors.joining(","));
  private static final int MAX_EXCEPTIONS = 20;

  private final FlinkRestClient client;

  /**
   * At most this many of one job's requests run at once: a JobManager that stops answering holds a
   * few of the shared pool's threads, not every one.
   */
  static final int MAX_CONCURRENT_REQUESTS = 4;

  private final Executor pool;
  private final Clock clock;

  /**
   * The vertex metrics a vertex had when last listed (per job and vertex), so that the next
   * snapshot asks only for what exists: an aggregated request naming one missing metric answers
   * nothing at all.
   */
  private final Map<String, Listed> availableByVertex = new ConcurrentHashMap<>();

  /**
   * A listing that lacked some metrics is done again after this long: a task registers its network
   * metrics after its first ones, and a listing made in between must not hide them for the job's
   * life.
   */
  static final Duration RELIST_INCOMPLETE_AFTER = Duration.ofSeconds(30);

  private record Listed(Set<VertexMetric> present, Instant at) {
    boolean complete() {
      return present.size() == VertexMetric.values().length;
    }
  }

  /** The cluster's TaskManagers, read again only when their number changes. */
  private volatile List<TaskManagerInfo> taskManagerInfo = List.of();

  public SnapshotReader(FlinkRestClient client, ExecutorService pool, Clock clock) {
    this.client = client;
    this.pool = new BoundedExecutor(pool, MAX_CONCURRENT_REQUESTS);
    this.clock = clock;
  }

  public FlinkRestClient client() {
    return client;
  }

  /**
   * The id of the job to watch: the given one, or the only running job (or, when none runs, the
   * only one that is failing or restarting). Also checks that the address is a Flink REST endpoint.
   */
  public String resolveJob(String jobIdOrNull) throws ScrapeException {
    flinkVersion();
    if (jobIdOrNull != null && !jobIdOrNull.isBlank()) {
      return jobIdOrNull.trim();
    }
    Map<String, String> names = new HashMap<>();
    Map<String, JobState> active =
        ResponseParser.activeJobs(client.get("/jobs/overview"), "/jobs/overview", names);
    List<String> running =
        active.entrySet().stream()
            .filter(e -> e.getValue() == JobState.RUNNING)
            .map(Map.Entry::getKey)
            .toList();
    List<String> candidates = running.isEmpty() ? List.copyOf(active.keySet()) : running;
    if (candidates.isEmpty()) {
      throw new ScrapeException(
          ScrapeFailure.NO_SUCH_JOB, "no job is running on " + client.baseUrl());
    }
    if (candidates.size() > 1) {
      throw new ScrapeException(
          ScrapeFailure.NO_SUCH_JOB,
          candidates.size()
              + " jobs are "
              + (running.isEmpty() ? "active" : "running")
              + " on "
              + client.baseUrl()
              + "; pick one with --job: "
              + candidates.stream()
                  .map(id -> id + " (" + names.get(id) + ", " + active.get(id) + ")")
                  .collect(Collectors.joining(", ")));
    }
    return candidates.get(0);
  }

  /**
   * Reads a snapshot of the job. {@code profileVertices} names vertices whose ON_CPU flame graph to
   * fetch as well (one more request each), when the cluster has flame graphs enabled.
   */
  public JobSnapshot read(String jobId, Set<String> profileVertices) throws ScrapeException {
    List<CompletableFuture<?>> pending = new ArrayList<>();
    try {
      return read(jobId, profileVertices, pending);
    } catch (ScrapeException | RuntimeException e) {
      // The snapshot is lost with its first failure: its requests still waiting are not sent.
      pending.forEach(f -> f.cancel(false));
      throw e;
    }
  }

  private JobSnapshot read(
      String jobId, Set<String> profileVertices, List<CompletableFuture<?>> pending)
      throws ScrapeException {
    int before = client.requestCount();
    String job = "/jobs/" + jobId;
    CompletableFuture<JsonNode> details = fetch(job, pending);
    CompletableFuture<JsonNode> config = fetch("/config", pending);
    CompletableFuture<JsonNode> clusterConfig = fetch("/jobmanager/config", pending);
    CompletableFuture<JsonNode> jobConfig = fetch(job + "/config", pending);
    CompletableFuture<JsonNode> exceptions =
        fetch(job + "/exceptions?maxExceptions=" + MAX_EXCEPTIONS, pending);
    CompletableFuture<JsonNode> tms =
        fetch(
            "/taskmanagers/metrics?get=" + TASK_MANAGER_METRICS + "&agg=min,max,avg,sum", pending);

    ResponseParser.JobDetails jd;
    try {
      jd = ResponseParser.jobDetails(join(details), job);
    } catch (ScrapeException e) {
      if (e.httpStatus() == 404 || e.httpStatus() == 400) {
        throw new ScrapeException(
            ScrapeFailure.NO_SUCH_JOB,
            "job " + jobId + " does not exist on " + client.baseUrl() + " (" + e.getMessage() + ")",
            e.answered(),
            e);
      }
      throw e;
    }
    JobState state = JobState.parse(jd.state());
    if (state.isStopped()) {
      throw new ScrapeException(
          ScrapeFailure.JOB_NOT_RUNNING, "job " + jobId + " is " + state + ", not running");
    }
    FlinkVersion version = version(join(config));
    Map<String, String> configuration =
        ResponseParser.configuration(join(clusterConfig), "/jobmanager/config");

    boolean running = state == JobState.RUNNING;
    Map<String, CompletableFuture<Measurements<VertexMetric>>> perVertex = new LinkedHashMap<>();
    Map<String, CompletableFuture<JsonNode>> flames = new LinkedHashMap<>();
    if (running) {
      for (Vertex v : jd.graph().vertices()) {
        CompletableFuture<Measurements<VertexMetric>> metrics =
            CompletableFuture.supplyAsync(
                () -> unchecked(() -> vertexMetrics(jobId, v, version)), pool);
        pending.add(metrics);
        perVertex.put(v.id(), metrics);
      }
      if (Boolean.parseBoolean(configuration.getOrDefault("rest.flamegraph.enabled", "false"))) {
        for (String vertexId : profileVertices) {
          if (jd.graph().vertex(vertexId).isPresent()) {
            flames.put(
                vertexId,
                fetch(job + "/vertices/" + vertexId + "/flamegraph?type=ON_CPU", pending));
          }
        }
      }
    }

    int jobParallelism = ResponseParser.jobParallelism(join(jobConfig));
    List<JobFailure> failures = failures(job, exceptions);
    Measurements<TaskManagerMetric> taskManagers =
        measurements(
            ResponseParser.aggregates(join(tms), "/taskmanagers/metrics"),
            TaskManagerMetric.class,
            TaskManagerMetric::flinkName);
    List<TaskManagerInfo> tmInfo = taskManagerInfo(taskManagers);
    Map<String, Measurements<VertexMetric>> vertexMetrics = new LinkedHashMap<>();
    for (Map.Entry<String, CompletableFuture<Measurements<VertexMetric>>> e :
        perVertex.entrySet()) {
      vertexMetrics.put(e.getKey(), join(e.getValue()));
    }
    Map<String, FlameGraph> flameGraphs = new HashMap<>();
    for (Map.Entry<String, CompletableFuture<JsonNode>> e : flames.entrySet()) {
      ResponseParser.flameGraph(join(e.getValue())).ifPresent(g -> flameGraphs.put(e.getKey(), g));
    }
    JobSnapshot snapshot =
        new JobSnapshot(
            clock.instant(),
            jd.id(),
            jd.name(),
            state,
            version,
            jd.graph(),
            vertexMetrics,
            taskManagers,
            tmInfo,
            configuration,
            jobParallelism,
            failures,
            flameGraphs,
            client.requestCount() - before);
    Optional<String> impossible = SnapshotCheck.problem(snapshot);
    if (impossible.isPresent()) {
      throw new ScrapeException(
          ScrapeFailure.IMPOSSIBLE,
          "Flink at "
              + client.baseUrl()
              + " answered what Flink cannot produce ("
              + impossible.get()
              + "); nothing is judged from it");
    }
    return snapshot;
  }

  /**
   * The job's failures. Flink bounds the entries but not the subtasks failing with each, so a job
   * of high parallelism in a restart loop can answer more than the limit: then the newest entry
   * alone, and failing that none (the metrics can still be read).
   */
  private List<JobFailure> failures(String job, CompletableFuture<JsonNode> answer)
      throws ScrapeException {
    try {
      return ResponseParser.exceptions(join(answer), job + "/exceptions");
    } catch (ScrapeException e) {
      if (e.failure() != ScrapeFailure.TOO_LARGE) {
        throw e;
      }
    }
    try {
      return ResponseParser.exceptions(
          client.get(job + "/exceptions?maxExceptions=1"), job + "/exceptions");
    } catch (ScrapeException e) {
      if (e.failure() != ScrapeFailure.TOO_LARGE) {
        throw e;
      }
      return List.of();
    }
  }

  /**
   * The TaskManager list changes only when TaskManagers come or go, which the aggregated metrics
   * show as a different count (sum / avg of their segment totals).
   */
  private List<TaskManagerInfo> taskManagerInfo(Measurements<TaskManagerMetric> metrics)
      throws ScrapeException {
    long count =
        metrics
            .get(TaskManagerMetric.SEGMENTS_TOTAL)
            .filter(a -> a.avg() > 0)
            .map(a -> Math.round(a.sum() / a.avg()))
            .orElse(-1L);
    List<TaskManagerInfo> known = taskManagerInfo;
    if (known.isEmpty() || known.size() != count) {
      known = ResponseParser.taskManagers(client.get("/taskmanagers"), "/taskmanagers");
      taskManagerInfo = known;
    }
    return known;
  }

  private FlinkVersion flinkVersion() throws ScrapeException {
    JsonNode config;
    try {
      config = client.get("/config");
    } catch (ScrapeException e) {
      if (e.failure() == ScrapeFailure.HTTP_STATUS || e.failure() == ScrapeFailure.MALFORMED) {
        throw notFlink(e.getMessage(), e.answered());
      }
      throw e;
    }
    return version(config);
  }

  /** The version in {@code /config}; a Flink that names none, or no version, cannot be read. */
  private FlinkVersion version(JsonNode config) throws ScrapeException {
    String raw =
        ResponseParser.flinkVersion(config)
            .orElseThrow(() -> notFlink("/config has no flink-version", ""));
    FlinkVersion version = FlinkVersion.parse(raw);
    if (!version.isKnown() && raw.matches("(?s).*\\d+\\.\\d+.*")) {
      // Numbers no release has: which metrics and keys exist depends on it. A Flink built without
      // version information says "<unknown>" and is read as of an unknown version.
      throw new ScrapeException(
          ScrapeFailure.IMPOSSIBLE,
          "Flink at " + client.baseUrl() + " reports its version as '" + raw + "', not a version");
    }
    return version;
  }

  private ScrapeException notFlink(String why, String answered) {
    return new ScrapeException(
        ScrapeFailure.NOT_FLINK,
        client.baseUrl()
            + " does not look like a Flink REST endpoint ("
            + why
            + "); point --rest-url at the JobManager's REST port, 8081 by default",
        answered,
        null);
  }

  /**
   * One aggregated request for the vertex's metrics. When the answer is empty (Flink answers {@code
   * []} if any requested name is missing), lists the names the vertex has and asks again for those,
   * remembering them for later snapshots; an incomplete listing is made again once it is old.
   */
  private Measurements<VertexMetric> vertexMetrics(String jobId, Vertex v, FlinkVersion version)
      throws ScrapeException {
    String base = "/jobs/" + jobId + "/vertices/" + v.id() + "/subtasks/metrics";
    String agg =
        version.isKnown() && version.compareTo(FlinkVersion.parse("1.20")) >= 0
            ? "min,max,avg,sum,skew"
            : "min,max,avg,sum";
    String key = jobId + "/" + v.id();
    Listed listed = availableByVertex.get(key);
    if (listed != null
        && !listed.complete()
        && !clock.instant().isBefore(listed.at().plus(RELIST_INCOMPLETE_AFTER))) {
      listed = list(key, base, v, jobId);
    }
    Set<VertexMetric> wanted =
        listed == null ? EnumSet.allOf(VertexMetric.class) : listed.present();
    Map<String, Aggregate> values =
        ResponseParser.aggregates(client.get(query(base, wanted, agg)), base);
    if (values.isEmpty() && !wanted.isEmpty()) {
      Set<VertexMetric> present = list(key, base, v, jobId).present();
      values = ResponseParser.aggregates(client.get(query(base, present, agg)), base);
    }
    return measurements(values, VertexMetric.class, VertexMetric::flinkName);
  }

  /** Lists the metrics the vertex has now and remembers them. */
  private Listed list(String key, String base, Vertex v, String jobId) throws ScrapeException {
    Set<String> names = ResponseParser.metricNames(client.get(base), base);
    Set<VertexMetric> present = EnumSet.noneOf(VertexMetric.class);
    for (VertexMetric m : VertexMetric.values()) {
      if (names.contains(m.flinkName())) {
        present.add(m);
      }
    }
    if (!present.contains(VertexMetric.BACK_PRESSURED)) {
      throw new ScrapeException(
          ScrapeFailure.METRICS_UNAVAILABLE,
          "Flink has no metrics yet for vertex '"
              + v.name()
              + "' of job "
              + jobId
              + " (just started or restarting); try again in a few seconds");
    }
    Listed listed = new Listed(present, clock.instant());
    availableByVertex.put(key, listed);
    return listed;
  }

  private static String query(String base, Set<VertexMetric> metrics, String agg) {
    return base
        + "?get="
        + metrics.stream().map(VertexMetric::flinkName).collect(Collectors.joining(","))
        + "&agg="
        + agg;
  }

  private static <M extends Enum<M>> Measurements<M> measurements(
      Map<String, Aggregate> byName, Class<M> type, Function<M, String> flinkName) {
    Map<M, Aggregate> values = new EnumMap<>(type);
    for (M m : type.getEnumConstants()) {
      Aggregate a = byName.get(flinkName.apply(m));
      if (a != null) {
        values.put(m, a);
      }
    }
    return new Measurements<>(values);
  }

  private CompletableFuture<JsonNode> fetch(String path, List<CompletableFuture<?>> pending) {
    CompletableFuture<JsonNode> f =
        CompletableFuture.supplyAsync(() -> unchecked(() -> client.get(path)), pool);
    pending.add(f);
    return f;
  }

  private interface Request<T> {
    T call() throws ScrapeException;
  }

  private static <T> T unchecked(Request<T> request) {
    try {
      return request.call();
    } catch (ScrapeException e) {
      throw new CompletionException(e);
    }
  }

  private static <T> T join(CompletableFuture<T> future) throws ScrapeException {
    try {
      return future.get();
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ScrapeException se) {
        throw se;
      }
      throw new ScrapeException(
          ScrapeFailure.MALFORMED, "unexpected failure reading Flink: " + cause, cause);
    } catch (CancellationException e) {
      throw new ScrapeException(ScrapeFailure.TIMEOUT, "request cancelled", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ScrapeException(ScrapeFailure.TIMEOUT, "interrupted while reading Flink", e);
    }
  }
}
