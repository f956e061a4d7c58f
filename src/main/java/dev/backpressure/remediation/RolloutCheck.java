package dev.backpressure.remediation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Whether Flink runs what a change asked for: the parallelism it set for a vertex or the job, and
 * the network memory it gave each TaskManager. A change Flink did not take was never tried, so it
 * is undone without being judged ineffective.
 */
final class RolloutCheck {

  /** Beyond the rounding down to whole buffers, more than this apart is another value. */
  private static final double NETWORK_TOLERANCE = 0.02;

  private RolloutCheck() {}

  /** What Flink runs differently from the change, if anything; empty when it runs the change. */
  static Optional<String> notTaken(GuardState.InFlight f, RunningJob running) {
    List<String> differs = new ArrayList<>();
    for (SettingChange c : f.changes()) {
      if (c.key().equals(ParallelismOverrides.KEY) && c.to() != null) {
        Map<String, Integer> before = ParallelismOverrides.parse(c.from().orElse(""));
        ParallelismOverrides.parse(c.to())
            .forEach(
                (vertex, wanted) -> {
                  if (!wanted.equals(before.get(vertex))) {
                    vertexRuns(vertex, wanted, running).ifPresent(differs::add);
                  }
                });
      } else if (c.setting() == Setting.JOB_PARALLELISM && c.to() != null) {
        int wanted = Integer.parseInt(c.to());
        Optional<String> target = scaledVertex(f.remedy());
        if (target.isPresent()) {
          vertexRuns(target.get(), wanted, running).ifPresent(differs::add);
        } else if (!running.parallelism().containsValue(wanted)) {
          differs.add("no vertex runs at the job parallelism of " + wanted + " that was set");
        }
      }
    }
    networkSet(f.changes())
        .ifPresent(
            wanted ->
                running
                    .networkPerTaskManager()
                    .filter(
                        now ->
                            Math.abs(now.bytes() - wanted.bytes())
                                > running.segmentSize().bytes()
                                    + wanted.bytes() * NETWORK_TOLERANCE)
                    .ifPresent(
                        now ->
                            differs.add(
                                "the TaskManagers run with "
                                    + now
                                    + " of network memory, not the "
                                    + wanted
                                    + " set")));
    return differs.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", differs));
  }

  private static Optional<String> vertexRuns(String vertex, int wanted, RunningJob running) {
    Integer now = running.parallelism().get(vertex);
    if (now == null) {
      return Optional.of("vertex " + vertex + " is not in the running job");
    }
    return now == wanted
        ? Optional.empty()
        : Optional.of("vertex " + vertex + " runs at parallelism " + now + ", not " + wanted);
  }

  /** The vertex a scaling remedy is for ("scale:<vertexId>"), unless it scaled the whole job. */
  private static Optional<String> scaledVertex(String remedy) {
    for (String part : remedy.split("\\+")) {
      if (part.startsWith("scale:") && !part.equals("scale:job")) {
        return Optional.of(part.substring("scale:".length()));
      }
    }
    return Optional.empty();
  }

  /** The network memory a change pins (minimum and maximum set to one value), if it does. */
  private static Optional<MemorySize> networkSet(List<SettingChange> changes) {
    Optional<String> min = valueSet(changes, TaskManagerMemoryModel.NETWORK_MIN);
    Optional<String> max = valueSet(changes, TaskManagerMemoryModel.NETWORK_MAX);
    if (min.isEmpty() || !min.equals(max)) {
      return Optional.empty();
    }
    try {
      return Optional.of(MemorySize.parse(min.get()));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> valueSet(List<SettingChange> changes, String key) {
    return changes.stream()
        .filter(c -> c.key().equals(key) && c.to() != null)
        .map(SettingChange::to)
        .findFirst();
  }
}
