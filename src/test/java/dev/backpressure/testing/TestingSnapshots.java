package dev.backpressure.testing;

import dev.backpressure.flink.Aggregate;
import dev.backpressure.flink.Edge;
import dev.backpressure.flink.FlameGraph;
import dev.backpressure.flink.FlinkVersion;
import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobGraph;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.JobState;
import dev.backpressure.flink.Measurements;
import dev.backpressure.flink.TaskManagerInfo;
import dev.backpressure.flink.TaskManagerMetric;
import dev.backpressure.flink.Vertex;
import dev.backpressure.flink.VertexMetric;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Consumer;

/**
 * Builds snapshots for tests of the pure core: {@code TestingSnapshots.job().vertex("source", 2, m
 * -> m.backPressured(1000)).vertex("map", 2, m -> m.busy(990)).edge("source", "map")}. Vertex ids
 * are the names, so that assertions read well.
 */
public final class TestingSnapshots {

  private final List<Vertex> vertices = new ArrayList<>();
  private final List<Edge> edges = new ArrayList<>();
  private final Map<String, Measurements<VertexMetric>> metrics = new LinkedHashMap<>();
  private final Map<TaskManagerMetric, Aggregate> tm = new EnumMap<>(TaskManagerMetric.class);
  private final List<TaskManagerInfo> tmInfo = new ArrayList<>();
  private final Map<String, String> config = new HashMap<>();
  private final List<JobFailure> exceptions = new ArrayList<>();
  private final Map<String, FlameGraph> flames = new HashMap<>();
  private JobState state = JobState.RUNNING;
  private String version = "1.20.3";
  private Instant at = Instant.parse("2026-01-01T00:00:00Z");
  private int jobParallelism = 2;

  public static TestingSnapshots job() {
    return new TestingSnapshots();
  }

  /** Values of one vertex; each metric as (min, avg, max) or one value for all three. */
  public static final class VertexValues {
    private final Map<VertexMetric, Aggregate> values = new EnumMap<>(VertexMetric.class);

    public VertexValues set(VertexMetric m, double min, double avg, double max) {
      values.put(m, new Aggregate(min, avg, max, avg, OptionalDouble.empty()));
      return this;
    }

    public VertexValues backPressured(double v) {
      return set(VertexMetric.BACK_PRESSURED, v, v, v);
    }

    public VertexValues busy(double v) {
      return set(VertexMetric.BUSY, v, v, v);
    }

    public VertexValues busy(double min, double avg, double max) {
      return set(VertexMetric.BUSY, min, avg, max);
    }

    public VertexValues outPool(double v) {
      return set(VertexMetric.OUT_POOL_USAGE, v, v, v);
    }

    public VertexValues inPool(double v) {
      return set(VertexMetric.IN_POOL_USAGE, v, v, v);
    }

    public VertexValues recordsIn(double perSecond) {
      return set(VertexMetric.RECORDS_IN, perSecond, perSecond, perSecond);
    }

    public VertexValues remoteBytesIn(double perSecond) {
      return set(VertexMetric.BYTES_IN_REMOTE, perSecond, perSecond, perSecond);
    }
  }

  public TestingSnapshots vertex(String name, int parallelism, Consumer<VertexValues> values) {
    vertices.add(new Vertex(name, name, parallelism, 128, "RUNNING"));
    VertexValues v = new VertexValues();
    values.accept(v);
    metrics.put(name, new Measurements<>(v.values));
    return this;
  }

  public TestingSnapshots edge(String from, String to) {
    return edge(from, to, "REBALANCE");
  }

  public TestingSnapshots edge(String from, String to, String shipStrategy) {
    edges.add(new Edge(from, to, shipStrategy, "pipelined_bounded"));
    return this;
  }

  /** Network segments free and in total, summed over the TaskManagers. */
  public TestingSnapshots segments(double available, double total) {
    tm.put(TaskManagerMetric.SEGMENTS_AVAILABLE, Aggregate.of(available));
    tm.put(TaskManagerMetric.SEGMENTS_TOTAL, Aggregate.of(total));
    return this;
  }

  /** Cumulative CPU time of the (single) TaskManager, and its cores. */
  public TestingSnapshots cpu(double cpuSeconds, int cores) {
    tm.put(TaskManagerMetric.CPU_TIME, Aggregate.of(cpuSeconds * 1e9));
    tmInfo.clear();
    tmInfo.add(
        new TaskManagerInfo(
            "tm-1", "pekko.tcp://flink@10.0.0.1:6122/user/rpc/taskmanager_0", cores));
    return this;
  }

  public TestingSnapshots config(String key, String value) {
    config.put(key, value);
    return this;
  }

  public TestingSnapshots state(JobState s) {
    this.state = s;
    return this;
  }

  public TestingSnapshots version(String v) {
    this.version = v;
    return this;
  }

  public TestingSnapshots exception(String stacktrace, Instant when, String taskName) {
    exceptions.add(
        new JobFailure("java.io.IOException", stacktrace, when.toEpochMilli(), taskName));
    return this;
  }

  public TestingSnapshots flameGraph(String vertex, FlameGraph graph) {
    flames.put(vertex, graph);
    return this;
  }

  public TestingSnapshots at(Instant when) {
    this.at = when;
    return this;
  }

  public TestingSnapshots later(Duration by) {
    this.at = at.plus(by);
    return this;
  }

  public JobSnapshot build() {
    boolean running = state == JobState.RUNNING;
    return new JobSnapshot(
        at,
        "job-1",
        "test job",
        state,
        FlinkVersion.parse(version),
        new JobGraph(vertices, edges),
        running ? metrics : Map.of(),
        new Measurements<>(tm),
        tmInfo,
        config,
        jobParallelism,
        exceptions,
        flames,
        0);
  }
}
