package dev.backpressure.remediation;

import dev.backpressure.flink.Edge;
import dev.backpressure.flink.JobGraph;
import dev.backpressure.flink.Vertex;
import java.util.Map;

/**
 * Estimates the network buffers one TaskManager needs for a job graph, the way Flink sizes its
 * buffer pools for streaming: each input gate takes {@code buffers-per-channel} per channel plus
 * its floating buffers, each output takes one buffer per subpartition plus one. A TaskManager runs
 * one subtask of every vertex in each slot (slot sharing), so the per-slot sum times the slots is
 * what it must hold. An estimate, made generous on purpose: a plan that raises network memory a
 * little too much costs memory, one that raises it too little costs a failed restart.
 */
public final class NetworkBuffers {

  private NetworkBuffers() {}

  public static long perTaskManager(
      JobGraph graph,
      Map<String, Integer> parallelism,
      int slotsPerTaskManager,
      int buffersPerChannel,
      int floatingPerGate) {
    long perSlot = 0;
    for (Vertex v : graph.vertices()) {
      for (Edge in : graph.inputEdgesOf(v.id())) {
        int channels = allToAll(in) ? parallelism.getOrDefault(in.sourceId(), 1) : 1;
        perSlot += (long) channels * buffersPerChannel + floatingPerGate;
      }
      for (Edge out : graph.edges()) {
        if (out.sourceId().equals(v.id())) {
          int subpartitions = allToAll(out) ? parallelism.getOrDefault(out.targetId(), 1) : 1;
          perSlot += subpartitions + 1;
        }
      }
    }
    return perSlot * Math.max(1, slotsPerTaskManager);
  }

  /** FORWARD and RESCALE connect subtasks point to point; the other strategies all to all. */
  private static boolean allToAll(Edge e) {
    return !"FORWARD".equalsIgnoreCase(e.shipStrategy())
        && !"RESCALE".equalsIgnoreCase(e.shipStrategy());
  }
}
