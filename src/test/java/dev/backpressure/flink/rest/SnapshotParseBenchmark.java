package dev.backpressure.flink.rest;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.backpressure.bench.Measure;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints the time to parse the answers that make one snapshot of a 50-vertex job (the job details
 * and 50 aggregated metric lists, as Flink 1.20 writes them): JSON text to model. A plain main:
 * {@code ./mvnw -q test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.backpressure.flink.rest.SnapshotParseBenchmark}.
 */
public final class SnapshotParseBenchmark {

  private static final JsonMapper JSON =
      JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  private SnapshotParseBenchmark() {}

  public static void main(String[] args) throws Exception {
    int n = 50;
    StringBuilder job =
        new StringBuilder(
            "{\"jid\":\"bench\",\"name\":\"bench\",\"state\":\"RUNNING\",\"vertices\":[");
    StringBuilder plan = new StringBuilder("\"plan\":{\"nodes\":[");
    for (int i = 0; i < n; i++) {
      String id = String.format("%032x", i + 1);
      job.append(i == 0 ? "" : ",")
          .append("{\"id\":\"")
          .append(id)
          .append("\",\"name\":\"vertex-")
          .append(i)
          .append(
              "\",\"maxParallelism\":128,\"parallelism\":4,\"status\":\"RUNNING\",\"metrics\":{\"read-bytes\":1}}");
      plan.append(i == 0 ? "" : ",").append("{\"id\":\"").append(id).append("\",\"parallelism\":4");
      if (i > 0) {
        plan.append(",\"inputs\":[{\"num\":0,\"id\":\"")
            .append(String.format("%032x", i))
            .append("\",\"ship_strategy\":\"REBALANCE\",\"exchange\":\"pipelined_bounded\"}]");
      }
      plan.append("}");
    }
    String details = job.append("],").append(plan).append("]}}").toString();
    List<String> metricBodies = new ArrayList<>();
    String[] names = {
      "backPressuredTimeMsPerSecond",
      "busyTimeMsPerSecond",
      "idleTimeMsPerSecond",
      "numRecordsInPerSecond",
      "numRecordsOutPerSecond",
      "Shuffle.Netty.Output.Buffers.outPoolUsage",
      "Shuffle.Netty.Input.Buffers.inPoolUsage",
      "Shuffle.Netty.Input.Buffers.inputFloatingBuffersUsage",
      "Shuffle.Netty.Input.Buffers.inputExclusiveBuffersUsage",
      "numBytesInRemotePerSecond"
    };
    for (int i = 0; i < n; i++) {
      StringBuilder b = new StringBuilder("[");
      for (int k = 0; k < names.length; k++) {
        b.append(k == 0 ? "" : ",")
            .append("{\"id\":\"")
            .append(names[k])
            .append("\",\"min\":1.0,\"max\":1000.0,\"avg\":500.5,\"sum\":2002.0,\"skew\":3.2}");
      }
      metricBodies.add(b.append("]").toString());
    }
    Measure.print(
        "parse one snapshot of 50 vertices (JSON text to model)",
        2_000,
        10_000,
        () -> {
          try {
            ResponseParser.jobDetails(JSON.readTree(details), "/jobs/bench");
            for (String body : metricBodies) {
              ResponseParser.aggregates(JSON.readTree(body), "metrics");
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }
}
