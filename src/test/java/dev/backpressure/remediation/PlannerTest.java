package dev.backpressure.remediation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.diagnosis.Cause;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.flink.FlinkVersion;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.JobState;
import dev.backpressure.testing.Diagnoses;
import dev.backpressure.testing.TestingSnapshots;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The planner, one case per rule, with the arithmetic it must do written out in comments. */
class PlannerTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static Diagnosis diagnosed(Cause cause, JobSnapshot s, String vertex) {
    return Diagnoses.of(cause).at(T0).job(s.state()).bottleneck(s.graph().vertex(vertex)).build();
  }

  private static DeploymentView deployment(String version, Map<String, String> config) {
    Map<String, String> c = new HashMap<>(config);
    return new DeploymentView(
        FlinkVersion.parse(version),
        2,
        c,
        c,
        Optional.ofNullable(c.get(TaskManagerMemoryModel.PROCESS_SIZE)));
  }

  private static JobSnapshot computeJob(double sourceBackPressure, int mapParallelism) {
    return TestingSnapshots.job()
        .vertex("source", 2, m -> m.backPressured(sourceBackPressure).busy(100))
        .vertex("map", mapParallelism, m -> m.backPressured(0).busy(900).recordsIn(6000))
        .edge("source", "map")
        .segments(4096, 4096)
        .build();
  }

  @Test
  void scalesFromMeasuredRatesWhenTheInputsCanTellHowFastTheyWouldGo() {
    // busy 0.9, inputs wait 0.6 → they would send 1/(1-0.6) = 2.5× as much;
    // p' = ceil(2 × 0.9 × 2.5 / 0.7) = ceil(6.43) = 7.
    JobSnapshot s = computeJob(600, 2);
    Plan p =
        Planner.plan(
            diagnosed(Cause.COMPUTE_BOTTLENECK, s, "map"),
            s,
            deployment("1.20.3", Map.of("taskmanager.memory.process.size", "4g")),
            RemedyLimits.DEFAULTS);
    assertThat(p)
        .isInstanceOfSatisfying(
            Plan.Change.class,
            c -> {
              assertThat(c.changes())
                  .singleElement()
                  .satisfies(
                      sc -> {
                        assertThat(sc.key()).isEqualTo("pipeline.jobvertex-parallelism-overrides");
                        assertThat(sc.to()).isEqualTo("map:7");
                      });
              assertThat(c.arithmetic()).anyMatch(l -> l.contains("= 7"));
            });
  }

  @Test
  void takesTheLargestAllowedStepWhenInputsWaitAllTheTime() {
    // Inputs wait 100%: their unthrottled rate is unknown; the step factor bounds it: 2 × 4 = 8.
    JobSnapshot s = computeJob(1000, 2);
    Plan p =
        Planner.plan(
            diagnosed(Cause.COMPUTE_BOTTLENECK, s, "map"),
            s,
            deployment("1.20.3", Map.of()),
            RemedyLimits.DEFAULTS);
    assertThat(((Plan.Change) p).changes().get(0).to()).isEqualTo("map:8");
  }

  @Test
  void onFlink2ARestartScalesThroughTheJobParallelismAndTheAdaptiveSchedulerThroughOverrides() {
    // FLINK-38770: Flink 2.x drops overrides given at submission; the job's parallelism (2, which
    // the map follows) is honoured. In place, the Flink operator turns overrides into resource
    // requirements, which Flink 2.x honours.
    JobSnapshot s = computeJob(1000, 2);
    Diagnosis d = diagnosed(Cause.COMPUTE_BOTTLENECK, s, "map");

    Plan.Change restart =
        (Plan.Change) Planner.plan(d, s, deployment("2.1.1", Map.of()), RemedyLimits.DEFAULTS);
    assertThat(restart.changes())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.setting()).isEqualTo(Setting.JOB_PARALLELISM);
              assertThat(c.from()).contains("2");
              assertThat(c.to()).isEqualTo("8");
            });
    assertThat(restart.arithmetic()).anyMatch(l -> l.contains("FLINK-38770"));

    Plan.Change inPlace =
        (Plan.Change)
            Planner.plan(
                d,
                s,
                deployment("2.1.1", Map.of("jobmanager.scheduler", "adaptive")),
                RemedyLimits.DEFAULTS);
    assertThat(inPlace.changes().get(0).key())
        .isEqualTo("pipeline.jobvertex-parallelism-overrides");
    assertThat(inPlace.changes().get(0).to()).isEqualTo("map:8");

    Plan inPlaceOff =
        Planner.plan(
            d,
            s,
            deployment(
                "2.1.1",
                Map.of(
                    "jobmanager.scheduler",
                    "adaptive",
                    "kubernetes.operator.job.upgrade.inplace-scaling.enabled",
                    "false")),
            RemedyLimits.DEFAULTS);
    assertThat(((Plan.Change) inPlaceOff).changes().get(0).setting())
        .isEqualTo(Setting.JOB_PARALLELISM);
  }

  @Test
  void onFlink2AScaleUpThatNeedsNetworkMemoryIsAFullUpgradeSoItChangesTheJobParallelism() {
    // On the adaptive scheduler an overrides-only change is rescaled in place, but adding network
    // memory makes it a full upgrade, which drops the override (FLINK-38770). Source and map both
    // follow the job's parallelism 2 → 8, on four slots per TaskManager: more than its 32 buffers.
    JobSnapshot s =
        TestingSnapshots.job()
            .vertex("source", 2, m -> m.backPressured(1000).busy(0))
            .vertex("map", 2, m -> m.backPressured(0).busy(950).recordsIn(6000))
            .edge("source", "map")
            .segments(32, 32)
            .build();
    Plan p =
        Planner.plan(
            diagnosed(Cause.COMPUTE_BOTTLENECK, s, "map"),
            s,
            deployment(
                "2.1.1",
                Map.of(
                    "jobmanager.scheduler",
                    "adaptive",
                    "taskmanager.numberOfTaskSlots",
                    "4",
                    "taskmanager.memory.process.size",
                    "1728m",
                    "taskmanager.memory.network.min",
                    "1m",
                    "taskmanager.memory.network.max",
                    "1m")),
            RemedyLimits.DEFAULTS);
    assertThat(p)
        .isInstanceOfSatisfying(
            Plan.Change.class,
            c -> {
              assertThat(c.changes().get(0).setting()).isEqualTo(Setting.JOB_PARALLELISM);
              assertThat(c.changes().get(0).to()).isEqualTo("8");
              assertThat(c.changes())
                  .extracting(SettingChange::key)
                  .contains("taskmanager.memory.network.min", "taskmanager.memory.network.max")
                  .doesNotContain("pipeline.jobvertex-parallelism-overrides");
              assertThat(c.arithmetic()).anyMatch(l -> l.contains("full upgrade"));
            });
  }

  @Test
  void onFlink2AVertexSetInCodeGetsAdviceRatherThanAnOverrideFlinkWouldDrop() {
    JobSnapshot s = computeJob(1000, 3);
    Plan p =
        Planner.plan(
            diagnosed(Cause.COMPUTE_BOTTLENECK, s, "map"),
            s,
            deployment("2.1.1", Map.of()),
            RemedyLimits.DEFAULTS);
    assertThat(p)
        .isInstanceOfSatisfying(
            Plan.Advice.class,
            a -> {
              assertThat(a.summary()).contains("FLINK-38770").contains("3 ≠ 2");
              assertThat(a.actions()).anyMatch(l -> l.contains("jobmanager.scheduler: adaptive"));
            });
  }

  @Test
  void keepsOtherVerticesOverridesAndRespectsThePolicyMaximum() {
    // Wanted 8, the policy allows 6.
    JobSnapshot s = computeJob(1000, 2);
    RemedyLimits limits =
        new RemedyLimits(6, 4.0, 0.7, MemorySize.parse("1g"), false, false, false);
    Plan p =
        Planner.plan(
            diagnosed(Cause.COMPUTE_BOTTLENECK, s, "map"),
            s,
            deployment("1.20.3", Map.of(ParallelismOverrides.KEY, "sink:3")),
            limits);
    SettingChange c = ((Plan.Change) p).changes().get(0);
    assertThat(c.from()).contains("sink:3");
    assertThat(c.to()).isEqualTo("sink:3,map:6");
  }

  @Test
  void aVertexAtItsLimitGetsAdvice() {
    JobSnapshot s = computeJob(1000, 6);
    RemedyLimits limits =
        new RemedyLimits(6, 4.0, 0.7, MemorySize.parse("1g"), false, false, false);
    Plan p =
        Planner.plan(
            diagnosed(Cause.COMPUTE_BOTTLENECK, s, "map"),
            s,
            deployment("1.20.3", Map.of()),
            limits);
    assertThat(p).isInstanceOf(Plan.Advice.class);
    assertThat(p.summary()).contains("limit");
  }

  @Test
  void aScaleUpThatNeedsMoreBuffersRaisesNetworkMemoryFromUnusedManagedMemory() {
    // 1 slot per TaskManager; source 2 → map 32 over a rebalance: source subtask output 32 + 1,
    // map subtask input 2 × 2 + 8 = 12 → 45 buffers per slot, but the TaskManagers have 40.
    // Wanted 45 × 1.25 = 57 buffers × 32k = 1.8m → 2m per TaskManager.
    JobSnapshot s =
        TestingSnapshots.job()
            .vertex("source", 2, m -> m.backPressured(1000).busy(0))
            .vertex("map", 8, m -> m.backPressured(0).busy(950).recordsIn(6000))
            .edge("source", "map")
            .segments(40, 40)
            .build();
    DeploymentView d =
        deployment(
            "1.20.3",
            Map.of(
                "taskmanager.memory.process.size",
                "1728m",
                "taskmanager.memory.network.min",
                "1m",
                "taskmanager.memory.network.max",
                "1m"));
    Plan p =
        Planner.plan(diagnosed(Cause.COMPUTE_BOTTLENECK, s, "map"), s, d, RemedyLimits.DEFAULTS);
    assertThat(p)
        .isInstanceOfSatisfying(
            Plan.Change.class,
            c -> {
              assertThat(c.changes())
                  .extracting(SettingChange::key)
                  .containsExactly(
                      "pipeline.jobvertex-parallelism-overrides", "taskmanager.memory.network.min",
                      "taskmanager.memory.network.max", "taskmanager.memory.managed.size");
              assertThat(c.changes().get(1).to()).isEqualTo("2m");
              assertThat(c.arithmetic()).anyMatch(l -> l.contains("managed memory"));
            });
  }

  @Test
  void networkMemoryThatCannotBeFoundIsAdviceNotAChange() {
    // RocksDB keeps state in managed memory, the heap may give at most 25%, and growth is off.
    JobSnapshot s = computeJob(1000, 2);
    Diagnosis d =
        diagnosed(
            Cause.TOO_FEW_NETWORK_BUFFERS,
            TestingSnapshots.job()
                .vertex("source", 2, m -> m.backPressured(1000).busy(0))
                .vertex("map", 2, m -> m.backPressured(0).busy(10))
                .edge("source", "map")
                .segments(0, 4096)
                .build(),
            "map");
    JobSnapshot starved =
        TestingSnapshots.job()
            .vertex("source", 2, m -> m.backPressured(1000).busy(0))
            .vertex("map", 2, m -> m.backPressured(0).busy(10))
            .edge("source", "map")
            .segments(0, 4096)
            .build();
    DeploymentView rocks =
        deployment(
            "1.20.3",
            Map.of("taskmanager.memory.process.size", "1728m", "state.backend.type", "rocksdb"));
    Plan p = Planner.plan(d, starved, rocks, RemedyLimits.DEFAULTS);
    // 4096 buffers doubled = 8192 × 32k = 256m; +128m cannot come from managed (RocksDB) nor
    // from a 383m heap (25% = 96m).
    assertThat(p).isInstanceOf(Plan.Advice.class);
    assertThat(((Plan.Advice) p).actions()).anyMatch(a -> a.contains("RocksDB"));
    assertThat(s).isNotNull();
  }

  @Test
  void theStartupErrorSizesNetworkMemoryFromFlinksOwnNumbers() {
    // "required 9, but only 5 available … 32 of 32768 bytes": the pools hold 32 - 5 = 27 and this
    // one needs 9 → 36, with 50% headroom 54 buffers × 32k = 1.7m → 2m.
    JobSnapshot failing =
        TestingSnapshots.job()
            .vertex("source", 8, m -> {})
            .vertex("map", 8, m -> {})
            .edge("source", "map")
            .state(JobState.RESTARTING)
            .exception(
                "java.io.IOException: Insufficient number of network buffers: required 9, but only 5"
                    + " available. The total number of network buffers is currently set to 32 of 32768 bytes"
                    + " each.",
                T0,
                "map (1/8)")
            .build();
    Diagnosis d =
        Diagnoses.of(Cause.TOO_FEW_NETWORK_BUFFERS)
            .at(T0)
            .job(JobState.RESTARTING)
            .notSustained()
            .bottleneck(failing.graph().vertex("map"))
            .confidence(0.95)
            .build();
    DeploymentView tiny =
        deployment(
            "1.20.3",
            Map.of(
                "taskmanager.memory.process.size",
                "1728m",
                "taskmanager.memory.network.min",
                "1m",
                "taskmanager.memory.network.max",
                "1m"));
    Plan p = Planner.plan(d, failing, tiny, RemedyLimits.DEFAULTS);
    assertThat(p)
        .isInstanceOfSatisfying(
            Plan.Change.class,
            c -> {
              assertThat(c.changes())
                  .anySatisfy(
                      sc -> {
                        assertThat(sc.key()).isEqualTo("taskmanager.memory.network.max");
                        assertThat(sc.from()).contains("1m");
                        assertThat(sc.to()).isEqualTo("2m");
                      });
              assertThat(c.arithmetic())
                  .anyMatch(l -> l.contains("at least 36 needed, 54 with 50% headroom"));
            });
  }

  @Test
  void perChannelKeysAreRestoredOnFlink1AndReplacedByNetworkMemoryOnFlink2() {
    JobSnapshot s =
        TestingSnapshots.job()
            .vertex("source", 4, m -> m.backPressured(1000).busy(0))
            .vertex("receive", 4, m -> m.backPressured(0).busy(5))
            .edge("source", "receive")
            .segments(4000, 4096)
            .build();
    Map<String, String> config =
        Map.of(
            "taskmanager.memory.process.size",
            "1728m",
            "taskmanager.network.memory.buffers-per-channel",
            "0",
            "taskmanager.network.memory.floating-buffers-per-gate",
            "1");
    Plan one =
        Planner.plan(
            diagnosed(Cause.BUFFERS_PER_CHANNEL, s, "receive"),
            s,
            deployment("1.20.3", config),
            RemedyLimits.DEFAULTS);
    assertThat(((Plan.Change) one).changes())
        .extracting(SettingChange::key, SettingChange::to)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "taskmanager.network.memory.buffers-per-channel", "2"),
            org.assertj.core.groups.Tuple.tuple(
                "taskmanager.network.memory.floating-buffers-per-gate", "8"));
    Plan two =
        Planner.plan(
            diagnosed(Cause.BUFFERS_PER_CHANNEL, s, "receive"),
            s,
            deployment("2.1.0", config),
            RemedyLimits.DEFAULTS);
    assertThat(two)
        .isInstanceOfSatisfying(
            Plan.Change.class,
            c ->
                assertThat(c.changes())
                    .noneMatch(sc -> sc.key().startsWith("taskmanager.network.memory.")));
  }

  @Test
  void skewAndSerializationGetAdviceOnly() {
    JobSnapshot s = computeJob(1000, 2);
    assertThat(
            Planner.plan(
                diagnosed(Cause.DATA_SKEW, s, "map"),
                s,
                deployment("1.20.3", Map.of()),
                RemedyLimits.DEFAULTS))
        .isInstanceOf(Plan.Advice.class);
    Plan ser =
        Planner.plan(
            diagnosed(Cause.SERIALIZATION, s, "map"),
            s,
            deployment("1.20.3", Map.of()),
            RemedyLimits.DEFAULTS);
    assertThat(ser).isInstanceOf(Plan.Advice.class);
    assertThat(((Plan.Advice) ser).actions()).anyMatch(a -> a.contains("POJO"));
  }
}
