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
 * @param segmentSize the size of one network buffer: Flink rounds network memory down to whole ones
 */
public record RunningJob(
    Map<String, Integer> parallelism,
    Optional<MemorySize> networkPerTaskManager,
    MemorySize segmentSize) {

  static final MemorySize DEFAULT_SEGMENT = MemorySize.parse("32kb");

  private static final String SEGMENT_SIZE = TaskManagerMemoryModel.SEGMENT_SIZE;

  public RunningJob {
    parallelism = Map.copyOf(parallelism);
  }

  public static RunningJob of(JobSnapshot s) {
    Map<String, Integer> parallelism = new LinkedHashMap<>();
    for (Vertex v : s.graph().vertices()) {
      parallelism.put(v.id(), v.parallelism());
    }
    MemorySize segment;
    try {
      segment =
          Optional.ofNullable(s.configuration().get(SEGMENT_SIZE))
              .map(MemorySize::parse)
              .orElse(DEFAULT_SEGMENT);
    } catch (IllegalArgumentException e) {
      // A segment size we cannot read: the network memory stays unknown, not guessed.
      return new RunningJob(parallelism, Optional.empty(), DEFAULT_SEGMENT);
    }
    Optional<MemorySize> network = Optional.empty();
    Optional<Aggregate> segments = s.taskManagers().get(TaskManagerMetric.SEGMENTS_TOTAL);
    if (segments.isPresent() && !Double.isNaN(segments.get().avg())) {
      network = Optional.of(new MemorySize(Math.round(segments.get().avg()) * segment.bytes()));
    }
    return new RunningJob(parallelism, network, segment);
  }
}
