package dev.backpressure.remediation;

import dev.backpressure.flink.Aggregate;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.TaskManagerMetric;
import dev.backpressure.flink.Vertex;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What Flink really runs, as opposed to what the FlinkDeployment asks for: a rollout can be
 * reported done while the job runs something else (FLINK-38770: overrides given at submission
 * ignored on Flink 2.x), and a change is judged only on what it really changed.
 *
 * @param parallelism each vertex's parallelism, by vertex id
 * @param networkPerTaskManager the network memory of an average TaskManager (its network buffers
 *     times their size), when Flink reports the buffers
 */
public record RunningJob(
    Map<String, Integer> parallelism, Optional<MemorySize> networkPerTaskManager) {

  private static final String SEGMENT_SIZE = "taskmanager.memory.segment-size";

  public RunningJob {
    parallelism = Map.copyOf(parallelism);
  }

  public static RunningJob of(JobSnapshot s) {
    Map<String, Integer> parallelism = new LinkedHashMap<>();
    for (Vertex v : s.graph().vertices()) {
      parallelism.put(v.id(), v.parallelism());
    }
    Optional<MemorySize> network = Optional.empty();
    Optional<Aggregate> segments = s.taskManagers().get(TaskManagerMetric.SEGMENTS_TOTAL);
    if (segments.isPresent() && !Double.isNaN(segments.get().avg())) {
      try {
        MemorySize segment = MemorySize.parse(s.configuration().getOrDefault(SEGMENT_SIZE, "32kb"));
        network = Optional.of(new MemorySize(Math.round(segments.get().avg()) * segment.bytes()));
      } catch (IllegalArgumentException e) {
        // A segment size we cannot read: the network memory stays unknown, not guessed.
      }
    }
    return new RunningJob(parallelism, network);
  }
}
