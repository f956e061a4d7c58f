package dev.backpressure.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Durations;
import dev.backpressure.diagnosis.Evidence;
import dev.backpressure.diagnosis.Numbers;
import dev.backpressure.flink.Aggregate;
import dev.backpressure.flink.Edge;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.Vertex;
import dev.backpressure.flink.VertexMetric;
import dev.backpressure.remediation.Plan;
import dev.backpressure.remediation.SettingChange;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The result of {@code diagnose}, rendered for a person (text) or for a script (one JSON document
 * with the same content). Unknown metrics print as "unknown" and as JSON null, never as 0.
 */
final class Report {

  private static final JsonMapper JSON =
      JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

  private static final List<VertexMetric> SHOWN =
      List.of(
          VertexMetric.BACK_PRESSURED,
          VertexMetric.BUSY,
          VertexMetric.IDLE,
          VertexMetric.RECORDS_IN,
          VertexMetric.RECORDS_OUT,
          VertexMetric.OUT_POOL_USAGE,
          VertexMetric.IN_POOL_USAGE);

  private final URI url;
  private final JobSnapshot latest;
  private final Diagnosis diagnosis;
  private final Plan plan;
  private final Duration interval;

  Report(URI url, JobSnapshot latest, Diagnosis diagnosis, Plan plan, Duration interval) {
    this.url = url;
    this.latest = latest;
    this.diagnosis = diagnosis;
    this.plan = plan;
    this.interval = interval;
  }

  String text() {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "Job      %s (%s), %s on Flink %s at %s%n",
            latest.jobName(),
            latest.jobId(),
            latest.state(),
            latest.flinkVersion(),
            url));
    b.append(
        String.format(
            Locale.ROOT,
            "Sampled  %d snapshots, %s apart%n%n",
            diagnosis.symptom().samples(),
            Durations.format(interval)));
    if (latest.hasMetrics()) {
      b.append(
          String.format(
              Locale.ROOT,
              "%-40s %4s %12s %12s %10s %9s %9s%n",
              "vertex",
              "par",
              "backpressure",
              "busy",
              "records/s",
              "out pool",
              "in pool"));
      for (Vertex v : latest.graph().topologicalOrder()) {
        boolean bottleneck = diagnosis.bottleneck().map(x -> x.id().equals(v.id())).orElse(false);
        b.append(
            String.format(
                Locale.ROOT,
                "%-40s %4d %12s %12s %10s %9s %9s%s%n",
                clip(v.name(), 40),
                v.parallelism(),
                max(v, VertexMetric.BACK_PRESSURED, " ms/s"),
                avg(v, VertexMetric.BUSY, " ms/s"),
                sum(v, VertexMetric.RECORDS_IN),
                max(v, VertexMetric.OUT_POOL_USAGE, ""),
                inPool(v),
                bottleneck ? "  <- bottleneck" : ""));
        for (Edge e : latest.graph().inputEdgesOf(v.id())) {
          latest
              .graph()
              .vertex(e.sourceId())
              .ifPresent(
                  src ->
                      b.append("    from ")
                          .append(clip(src.name(), 40))
                          .append(" (")
                          .append(e.shipStrategy())
                          .append(")\n"));
        }
      }
      b.append("  (backpressure and pools: worst subtask; busy: average over subtasks)\n\n");
    }
    b.append("Verdict  ").append(verdict()).append('\n');
    b.append("         ").append(symptom()).append('\n');
    if (!diagnosis.evidence().isEmpty()) {
      b.append("Evidence\n");
      diagnosis.evidence().forEach(e -> b.append("  - ").append(e.describe()).append('\n'));
    }
    if (!diagnosis.notes().isEmpty()) {
      b.append("Notes\n");
      diagnosis.notes().forEach(n -> b.append("  - ").append(n).append('\n'));
    }
    b.append('\n');
    if (plan instanceof Plan.Change c) {
      b.append("Change   ").append(c.summary()).append('\n');
      c.changes()
          .forEach(
              s ->
                  b.append("  ")
                      .append(s.setting().path())
                      .append(": ")
                      .append(s.describe())
                      .append('\n'));
      appendList(b, "How it was sized", c.arithmetic());
      appendList(b, "Also", c.advice());
    } else if (plan instanceof Plan.Advice a) {
      b.append("Advice   ").append(a.summary()).append('\n');
      a.actions().forEach(x -> b.append("  - ").append(x).append('\n'));
      appendList(b, "Why no change", a.arithmetic());
    } else {
      b.append("Change   none: ").append(plan.summary()).append('\n');
    }
    return b.toString();
  }

  String json() {
    ObjectNode root = JSON.createObjectNode();
    root.put("restUrl", url.toString());
    ObjectNode job = root.putObject("job");
    job.put("id", latest.jobId());
    job.put("name", latest.jobName());
    job.put("state", latest.state().name());
    job.put("flinkVersion", latest.flinkVersion().raw());
    ArrayNode vertices = root.putArray("vertices");
    for (Vertex v : latest.graph().topologicalOrder()) {
      ObjectNode n = vertices.addObject();
      n.put("id", v.id());
      n.put("name", v.name());
      n.put("parallelism", v.parallelism());
      n.put("maxParallelism", v.maxParallelism());
      ArrayNode inputs = n.putArray("inputs");
      latest
          .graph()
          .inputEdgesOf(v.id())
          .forEach(
              e ->
                  inputs
                      .addObject()
                      .put("from", e.sourceId())
                      .put("shipStrategy", e.shipStrategy()));
      ObjectNode metrics = n.putObject("metrics");
      for (VertexMetric m : SHOWN) {
        Optional<Aggregate> a = latest.metric(v.id(), m);
        if (a.isEmpty()) {
          metrics.putNull(m.flinkName());
        } else {
          metrics
              .putObject(m.flinkName())
              .put("min", a.get().min())
              .put("avg", a.get().avg())
              .put("max", a.get().max());
        }
      }
    }
    ObjectNode d = root.putObject("diagnosis");
    d.put("cause", diagnosis.cause().name());
    d.put("title", diagnosis.cause().title());
    diagnosis
        .bottleneck()
        .ifPresentOrElse(
            v -> d.putObject("bottleneck").put("id", v.id()).put("name", v.name()),
            () -> d.putNull("bottleneck"));
    d.put("confidence", Math.round(diagnosis.confidence() * 100) / 100.0);
    ObjectNode s = d.putObject("symptom");
    s.put("backpressured", diagnosis.symptom().backpressured());
    s.put("sustained", diagnosis.symptom().sustained());
    s.put("backpressuredSamples", diagnosis.symptom().backpressuredSamples());
    s.put("samples", diagnosis.symptom().samples());
    s.put("durationSeconds", diagnosis.symptom().duration().toMillis() / 1000.0);
    ArrayNode evidence = d.putArray("evidence");
    for (Evidence e : diagnosis.evidence()) {
      ObjectNode n = evidence.addObject();
      n.put("subject", e.subject());
      n.put("text", e.describe());
      if (e instanceof Evidence.Measured m) {
        n.put("metric", m.metric());
        number(n, "value", m.value());
        if (!m.relation().isEmpty()) {
          n.put("relation", m.relation());
          number(n, "threshold", m.threshold());
        }
      }
    }
    strings(d.putArray("notes"), diagnosis.notes());
    ObjectNode p = root.putObject("plan");
    p.put("summary", plan.summary());
    if (plan instanceof Plan.Change c) {
      p.put("type", "change");
      ArrayNode changes = p.putArray("changes");
      for (SettingChange sc : c.changes()) {
        ObjectNode n = changes.addObject();
        n.put("setting", sc.setting().path());
        n.put("key", sc.key());
        sc.from().ifPresentOrElse(f -> n.put("from", f), () -> n.putNull("from"));
        n.put("to", sc.to());
      }
      strings(p.putArray("arithmetic"), c.arithmetic());
      strings(p.putArray("advice"), c.advice());
    } else if (plan instanceof Plan.Advice a) {
      p.put("type", "advice");
      strings(p.putArray("advice"), a.actions());
      strings(p.putArray("arithmetic"), a.arithmetic());
    } else {
      p.put("type", "none");
    }
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String verdict() {
    String at = diagnosis.bottleneck().map(v -> " at '" + v.name() + "'").orElse("");
    return diagnosis.cause().title().toUpperCase(Locale.ROOT)
        + at
        + String.format(Locale.ROOT, " (confidence %.2f)", diagnosis.confidence())
        + " - "
        + diagnosis.cause().meaning();
  }

  private String symptom() {
    var s = diagnosis.symptom();
    if (s.backpressuredSamples() == 0) {
      return "no backpressure in " + s.samples() + " snapshots";
    }
    return "backpressured in "
        + s.backpressuredSamples()
        + " of "
        + s.samples()
        + " snapshots over "
        + Durations.format(s.duration())
        + (s.sustained() ? ": sustained" : ": not sustained");
  }

  private static void appendList(StringBuilder b, String title, List<String> lines) {
    if (!lines.isEmpty()) {
      b.append(title).append('\n');
      lines.forEach(l -> b.append("  - ").append(l).append('\n'));
    }
  }

  private static void strings(ArrayNode array, List<String> values) {
    values.forEach(array::add);
  }

  private static void number(ObjectNode n, String field, double v) {
    if (Double.isFinite(v)) {
      n.put(field, v);
    } else {
      n.putNull(field);
    }
  }

  /**
   * Flink does not count local channels in input pool usage: a vertex that receives nothing over
   * the network shows "local" rather than a misleading 0.
   */
  private String inPool(Vertex v) {
    if (latest.graph().inputEdgesOf(v.id()).isEmpty()) {
      return "-";
    }
    boolean remote =
        latest.metric(v.id(), VertexMetric.BYTES_IN_REMOTE).map(a -> a.max() > 0).orElse(true);
    return remote ? max(v, VertexMetric.IN_POOL_USAGE, "") : "local";
  }

  private String max(Vertex v, VertexMetric m, String unit) {
    return latest
        .metric(v.id(), m)
        .map(a -> Numbers.format(round(a.max(), m)) + unit)
        .orElse("unknown");
  }

  private String avg(Vertex v, VertexMetric m, String unit) {
    return latest
        .metric(v.id(), m)
        .map(a -> Numbers.format(round(a.avg(), m)) + unit)
        .orElse("unknown");
  }

  private String sum(Vertex v, VertexMetric m) {
    return latest.metric(v.id(), m).map(a -> Numbers.format(Math.round(a.sum()))).orElse("unknown");
  }

  private static double round(double v, VertexMetric m) {
    return m.flinkName().contains("Usage") ? Math.round(v * 100) / 100.0 : Math.round(v);
  }

  private static String clip(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n - 1) + "…";
  }
}
