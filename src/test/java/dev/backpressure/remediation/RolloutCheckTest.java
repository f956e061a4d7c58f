package dev.backpressure.remediation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.diagnosis.Cause;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What counts as Flink running a change, for each kind of change. */
class RolloutCheckTest {

  private static GuardState.InFlight inFlight(String remedy, SettingChange... changes) {
    return new GuardState.InFlight(
        "change-1",
        GuardState.Phase.APPLIED,
        Cause.COMPUTE_BOTTLENECK,
        remedy,
        List.of(changes),
        Instant.EPOCH,
        Optional.empty(),
        new Measures(1000, 100),
        Optional.empty(),
        "test");
  }

  private static RunningJob running(Map<String, Integer> parallelism, String network) {
    return new RunningJob(
        parallelism,
        Optional.ofNullable(network).map(MemorySize::parse),
        RunningJob.DEFAULT_SEGMENT);
  }

  @Test
  void onlyTheOverridesTheChangeAltersAreLookedAt() {
    GuardState.InFlight f =
        inFlight(
            "scale:b",
            SettingChange.config(ParallelismOverrides.KEY, Optional.of("a:3"), "a:3,b:4"));
    // 'a' kept its override: whatever it runs at was not this change's doing.
    assertThat(RolloutCheck.notTaken(f, running(Map.of("a", 1, "b", 4), null))).isEmpty();
    assertThat(RolloutCheck.notTaken(f, running(Map.of("a", 3, "b", 2), null)))
        .contains("vertex b runs at parallelism 2, not 4");
    assertThat(RolloutCheck.notTaken(f, running(Map.of("a", 3), null)))
        .contains("vertex b is not in the running job");
  }

  @Test
  void aJobParallelismIsCheckedOnTheVertexItWasRaisedFor() {
    SettingChange job =
        new SettingChange(
            Setting.JOB_PARALLELISM, Setting.JOB_PARALLELISM.path(), Optional.of("2"), "4");
    assertThat(RolloutCheck.notTaken(inFlight("scale:b", job), running(Map.of("b", 4), null)))
        .isEmpty();
    assertThat(RolloutCheck.notTaken(inFlight("scale:b", job), running(Map.of("b", 2), null)))
        .isPresent();
    assertThat(
            RolloutCheck.notTaken(
                inFlight("scale:job", job), running(Map.of("a", 1, "b", 2), null)))
        .contains("no vertex runs at the job parallelism of 4 that was set");
  }

  @Test
  void networkMemoryIsTakenWhenTheTaskManagersHaveItsBuffers() {
    GuardState.InFlight f =
        inFlight(
            "network-memory",
            SettingChange.config(TaskManagerMemoryModel.NETWORK_MIN, Optional.of("64m"), "256m"),
            SettingChange.config(TaskManagerMemoryModel.NETWORK_MAX, Optional.of("64m"), "256m"));
    assertThat(RolloutCheck.notTaken(f, running(Map.of(), "256m"))).isEmpty();
    assertThat(RolloutCheck.notTaken(f, running(Map.of(), "64m")))
        .contains("the TaskManagers run with 64m of network memory, not the 256m set");
    // Buffers not reported: nothing to contradict the change.
    assertThat(RolloutCheck.notTaken(f, running(Map.of(), null))).isEmpty();
  }
}
