package dev.backpressure.flink.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.backpressure.flink.Aggregate;
import dev.backpressure.flink.Edge;
import dev.backpressure.flink.FlameGraph;
import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobGraph;
import dev.backpressure.flink.JobState;
import dev.backpressure.flink.TaskManagerInfo;
import dev.backpressure.flink.Vertex;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * Maps the JSON bodies of Flink's REST API (both the 1.x and the 2.x shapes) to the snapshot model,
 * refusing bodies that lack what the model needs.
 */
final class ResponseParser {

  private ResponseParser() {}

  /** The most vertices a job may have to be read; Flink's largest real jobs have hundreds. */
  static final int MAX_VERTICES = 1000;

  /** Failures kept per snapshot. */
  static final int MAX_FAILURES = 20;

  /** Of the exceptions that failed other subtasks at the same time, those kept per failure. */
  static final int MAX_CONCURRENT = 3;

  private static final int MAX_LINE = 2000;

  /** Job details: {@code /jobs/:jid}. */
  record JobDetails(String id, String name, String state, JobGraph graph) {}

  static JobDetails jobDetails(JsonNode body, String where) throws ScrapeException {
    String jid = text(body, "jid", where);
    String name = body.path("name").asText("");
    String state = text(body, "state", where);
    JsonNode vertices = body.path("vertices");
    if (!vertices.isArray()) {
      throw malformed(where, "has no 'vertices' array");
    }
    if (vertices.size() > MAX_VERTICES) {
      throw new ScrapeException(
          ScrapeFailure.TOO_LARGE,
          "Flink's answer to "
              + where
              + " lists "
              + vertices.size()
              + " vertices; jobs of up to "
              + MAX_VERTICES
              + " are read");
    }
    List<Vertex> parsed = new ArrayList<>();
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (JsonNode v : vertices) {
      if (!ids.add(text(v, "id", where))) {
        throw malformed(where, "lists vertex " + v.path("id").asText() + " twice");
      }
      parsed.add(
          new Vertex(
              text(v, "id", where),
              v.path("name").asText(""),
              v.path("parallelism").asInt(-1),
              v.path("maxParallelism").asInt(-1),
              v.path("status").asText("")));
    }
    List<Edge> edges = new ArrayList<>();
    for (JsonNode node : body.path("plan").path("nodes")) {
      String target = node.path("id").asText();
      for (JsonNode input : node.path("inputs")) {
        edges.add(
            new Edge(
                input.path("id").asText(),
                target,
                input.path("ship_strategy").asText(""),
                input.path("exchange").asText("")));
      }
    }
    return new JobDetails(jid, name, state, new JobGraph(parsed, edges));
  }

  /** The jobs of {@code /jobs/overview} that were not stopped on purpose: id → (name, state). */
  static Map<String, JobState> activeJobs(JsonNode body, String where, Map<String, String> names)
      throws ScrapeException {
    JsonNode jobs = body.path("jobs");
    if (!jobs.isArray()) {
      throw malformed(where, "has no 'jobs' array");
    }
    Map<String, JobState> active = new LinkedHashMap<>();
    for (JsonNode job : jobs) {
      JobState state = JobState.parse(job.path("state").asText());
      if (!state.isStopped()) {
        active.put(job.path("jid").asText(), state);
        names.put(job.path("jid").asText(), job.path("name").asText(""));
      }
    }
    return active;
  }

  /** {@code /config}: the Flink version; a server without it is not a Flink REST endpoint. */
  static Optional<String> flinkVersion(JsonNode body) {
    JsonNode version = body.path("flink-version");
    return version.isTextual() ? Optional.of(version.asText()) : Optional.empty();
  }

  /** {@code /jobmanager/config}: {@code [{"key","value"}]}. */
  static Map<String, String> configuration(JsonNode body, String where) throws ScrapeException {
    if (!body.isArray()) {
      throw malformed(where, "is not an array of {key, value}");
    }
    Map<String, String> config = new HashMap<>();
    for (JsonNode entry : body) {
      if (entry.hasNonNull("key")) {
        config.put(entry.get("key").asText(), entry.path("value").asText(""));
      }
    }
    return config;
  }

  /** {@code /taskmanagers}: id, RPC path and CPU cores of each TaskManager. */
  static List<TaskManagerInfo> taskManagers(JsonNode body, String where) throws ScrapeException {
    JsonNode tms = body.path("taskmanagers");
    if (!tms.isArray()) {
      throw malformed(where, "has no 'taskmanagers' array");
    }
    List<TaskManagerInfo> out = new ArrayList<>();
    for (JsonNode tm : tms) {
      out.add(
          new TaskManagerInfo(
              tm.path("id").asText(""),
              tm.path("path").asText(""),
              tm.path("hardware").path("cpuCores").asInt(0)));
    }
    return out;
  }

  /** {@code /jobs/:jid/config}: the job's default parallelism, -1 when absent. */
  static int jobParallelism(JsonNode body) {
    return body.path("execution-config").path("job-parallelism").asInt(-1);
  }

  /**
   * The aggregated metrics shape {@code [{"id","min","max","avg","sum","skew"}]}. A metric whose
   * aggregate is not finite (Flink reports NaN for some) is left out, so it reads as unknown.
   */
  static Map<String, Aggregate> aggregates(JsonNode body, String where) throws ScrapeException {
    if (!body.isArray()) {
      throw malformed(where, "is not an array of aggregated metrics");
    }
    Map<String, Aggregate> out = new HashMap<>();
    for (JsonNode m : body) {
      String id = m.path("id").asText(null);
      if (id == null) {
        throw malformed(where, "has a metric without 'id'");
      }
      double min = number(m, "min");
      double max = number(m, "max");
      double avg = number(m, "avg");
      double sum = number(m, "sum");
      if (!Double.isFinite(min) || !Double.isFinite(max) || !Double.isFinite(avg)) {
        continue;
      }
      if (!Double.isFinite(sum)) {
        sum = avg;
      }
      double skew = number(m, "skew");
      out.put(
          id,
          new Aggregate(
              min,
              avg,
              max,
              sum,
              Double.isFinite(skew) ? OptionalDouble.of(skew) : OptionalDouble.empty()));
    }
    return out;
  }

  /**
   * The metric listing shape {@code [{"id":"name"}]} (aggregated endpoints without {@code get}).
   */
  static Set<String> metricNames(JsonNode body, String where) throws ScrapeException {
    if (!body.isArray()) {
      throw malformed(where, "is not an array of metric ids");
    }
    Set<String> names = new LinkedHashSet<>();
    body.forEach(m -> names.add(m.path("id").asText()));
    return names;
  }

  /**
   * {@code /jobs/:jid/exceptions}: entries of {@code exceptionHistory} (1.x and 2.x), and on 1.x
   * the {@code root-exception} when the history is empty.
   */
  static List<JobFailure> exceptions(JsonNode body, String where) throws ScrapeException {
    if (!body.isObject()) {
      throw malformed(where, "is not an object");
    }
    List<JobFailure> out = new ArrayList<>();
    for (JsonNode e : body.path("exceptionHistory").path("entries")) {
      out.add(failure(e));
      int kept = 0;
      for (JsonNode concurrent : e.path("concurrentExceptions")) {
        if (kept++ == MAX_CONCURRENT) {
          break; // the same failure on more subtasks tells nothing more, and hides older ones
        }
        out.add(failure(concurrent));
      }
    }
    JsonNode root = body.path("root-exception");
    if (out.isEmpty() && root.isTextual()) {
      out.add(
          new JobFailure(null, essentials(root.asText()), body.path("timestamp").asLong(0), null));
    }
    // Concurrent exceptions have no bound of their own; the newest are what the rules read.
    return out.size() > MAX_FAILURES ? List.copyOf(out.subList(0, MAX_FAILURES)) : out;
  }

  private static JobFailure failure(JsonNode e) {
    return new JobFailure(
        e.path("exceptionName").asText(null),
        essentials(e.path("stacktrace").asText("")),
        e.path("timestamp").asLong(0),
        e.path("taskName").isTextual() ? e.path("taskName").asText() : null);
  }

  /**
   * Of a stack trace, what the rules read: its first line and each "Caused by:" and "Suppressed:"
   * line (where the exceptions and their messages are, not the frames), each cut at {@value
   * #MAX_LINE} characters. A window of snapshots holds these, and a trace can run to megabytes.
   */
  static String essentials(String stacktrace) {
    List<String> kept = new ArrayList<>();
    String[] lines = stacktrace.split("\\R");
    for (int i = 0; i < lines.length; i++) {
      String trimmed = lines[i].strip();
      if (i == 0 || trimmed.startsWith("Caused by: ") || trimmed.startsWith("Suppressed: ")) {
        String line = lines[i];
        kept.add(line.length() > MAX_LINE ? line.substring(0, MAX_LINE) + "…" : line);
      }
    }
    return String.join("\n", kept);
  }

  /**
   * {@code …/flamegraph}: a graph once sampled; empty while Flink is still sampling (endTimestamp
   * -3), when flame graphs are disabled (-2) or the vertex ended (-1).
   */
  static Optional<FlameGraph> flameGraph(JsonNode body) {
    long end = body.path("endTimestamp").asLong(-1);
    JsonNode data = body.path("data");
    if (end <= 0 || !data.isObject()) {
      return Optional.empty();
    }
    return Optional.of(new FlameGraph(end, node(data)));
  }

  private static FlameGraph.Node node(JsonNode n) {
    List<FlameGraph.Node> children = new ArrayList<>();
    for (JsonNode c : n.path("children")) {
      children.add(node(c));
    }
    return new FlameGraph.Node(n.path("name").asText(""), n.path("value").asLong(0), children);
  }

  private static double number(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return Double.NaN;
    }
    if (v.isNumber()) {
      return v.asDouble();
    }
    try {
      return Double.parseDouble(v.asText());
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  private static String text(JsonNode node, String field, String where) throws ScrapeException {
    JsonNode v = node.get(field);
    if (v == null || !v.isValueNode()) {
      throw malformed(where, "has no '" + field + "'");
    }
    return v.asText();
  }

  private static ScrapeException malformed(String where, String what) {
    return new ScrapeException(ScrapeFailure.MALFORMED, "Flink's answer to " + where + " " + what);
  }
}
