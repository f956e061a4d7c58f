package dev.backpressure.bench;

import dev.backpressure.flink.Aggregate;
import dev.backpressure.flink.Edge;
import dev.backpressure.flink.FlinkVersion;
import dev.backpressure.flink.JobGraph;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.JobState;
import dev.backpressure.flink.Measurements;
import dev.backpressure.flink.TaskManagerInfo;
import dev.backpressure.flink.TaskManagerMetric;
import dev.backpressure.flink.Vertex;
import dev.backpressure.flink.VertexMetric;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * A large job for benchmarks: a pipeline of {@code n} vertices where the vertex at {@code
 * bottleneck} is busy and everything upstream of it is backpressured, with side branches every
 * fifth vertex so that the graph is not a plain line.
 */
public final class SyntheticJob {

  private SyntheticJob() {}

  public static JobSnapshot snapshot(int n, int bottleneck, Instant at, double cpuSeconds) {
    List<Vertex> vertices = new ArrayList<>();
    List<Edge> edges = new ArrayList<>();
    Map<String, Measurements<VertexMetric>> metrics = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      String id = String.format("%032x", i + 1);
      vertices.add(new Vertex(id, "vertex-" + i, 4, 128, "RUNNING"));
      if (i > 0) {
        edges.add(
            new Edge(
                String.format("%032x", i),
                id,
                i % 5 == 0 ? "HASH" : "REBALANCE",
                "pipelined_bounded"));
      }
      if (i > 5 && i % 5 == 1) {
        edges.add(new Edge(String.format("%032x", i - 4), id, "FORWARD", "pipelined_bounded"));
      }
      Map<VertexMetric, Aggregate> m = new EnumMap<>(VertexMetric.class);
      boolean upstream = i < bottleneck;
      m.put(VertexMetric.BACK_PRESSURED, agg(upstream ? 900 : 0));
      m.put(VertexMetric.BUSY, agg(i == bottleneck ? 980 : upstream ? 90 : 300));
      m.put(VertexMetric.IDLE, agg(i == bottleneck ? 20 : upstream ? 10 : 700));
      m.put(VertexMetric.RECORDS_IN, agg(10_000));
      m.put(VertexMetric.RECORDS_OUT, agg(10_000));
      m.put(VertexMetric.OUT_POOL_USAGE, agg(upstream ? 1.0 : 0.1));
      m.put(VertexMetric.IN_POOL_USAGE, agg(0.5));
      m.put(VertexMetric.IN_FLOATING_USAGE, agg(0.5));
      m.put(VertexMetric.IN_EXCLUSIVE_USAGE, agg(0.5));
      m.put(VertexMetric.BYTES_IN_REMOTE, agg(1e6));
      metrics.put(id, new Measurements<>(m));
    }
    Map<TaskManagerMetric, Aggregate> tm = new EnumMap<>(TaskManagerMetric.class);
    tm.put(TaskManagerMetric.CPU_TIME, agg(cpuSeconds * 1e9));
    tm.put(TaskManagerMetric.SEGMENTS_AVAILABLE, agg(3000));
    tm.put(TaskManagerMetric.SEGMENTS_TOTAL, agg(4096));
    return new JobSnapshot(
        at,
        "bench-job",
        "bench",
        JobState.RUNNING,
        FlinkVersion.parse("1.20.3"),
        new JobGraph(vertices, edges),
        metrics,
        new Measurements<>(tm),
        List.of(
            new TaskManagerInfo(
                "tm", "pekko.tcp://flink@10.0.0.1:6122/user/rpc/taskmanager_0", 16)),
        Map.of("taskmanager.memory.process.size", "4g"),
        4,
        List.of(),
        Map.of(),
        0);
  }

  private static Aggregate agg(double v) {
    return new Aggregate(v * 0.95, v, v, v * 4, OptionalDouble.empty());
  }
}
