package dev.backpressure.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.flink.FlameGraph;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.JobState;
import dev.backpressure.flink.SnapshotWindow;
import dev.backpressure.flink.Vertex;
import dev.backpressure.testing.TestingSnapshots;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * The classifier's rules, one table row each, on snapshots built by hand. The numbers in the
 * comments are the arithmetic each rule does with the defaults: backpressured ≥ 500 ms/s, busy ≥
 * 800 ms/s, skewed when avg busy < 0.6 × max busy, pools full ≥ 0.9, starved ≤ 0.1, out of segments
 * ≤ 5% free, blocking when cores used < 0.5 per busy subtask.
 */
class ClassifierTest {

  private static final Thresholds T = Thresholds.DEFAULTS;
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  /** Four snapshots 5 s apart (span 15 s, the default sustain duration); i is the index. */
  private static SnapshotWindow window(IntFunction<TestingSnapshots> snapshot) {
    List<JobSnapshot> list = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      list.add(snapshot.apply(i).at(T0.plusSeconds(5L * i)).build());
    }
    return SnapshotWindow.of(list);
  }

  private static TestingSnapshots sourceInto(
      String name,
      int parallelism,
      java.util.function.Consumer<TestingSnapshots.VertexValues> values) {
    return TestingSnapshots.job()
        .vertex("source", 2, m -> m.backPressured(1000).busy(0).outPool(1.0))
        .vertex(name, parallelism, values)
        .edge("source", name)
        .segments(4000, 4096);
  }

  private static String bottleneck(Diagnosis d) {
    return d.bottleneck().map(Vertex::name).orElse("-");
  }

  @Test
  void backpressureThatCannotBeReadIsUnknownNotHealthy() {
    // The map reports no backpressure figure at all; the source's 0 says nothing of it.
    Diagnosis d =
        Classifier.classify(
            window(
                i ->
                    TestingSnapshots.job()
                        .vertex("source", 2, m -> m.backPressured(0).busy(100))
                        .vertex("map", 2, m -> m.busy(500))
                        .edge("source", "map")
                        .segments(4000, 4096)),
            T);
    assertThat(d.cause()).isEqualTo(Cause.UNKNOWN);
    assertThat(d.symptom().backpressured()).isFalse();
    assertThat(d.notes()).anyMatch(n -> n.contains("'map'") && n.contains("unknown"));
  }

  @Test
  void allSubtasksBusyAndCpuBoundIsACompute() {
    // 2 subtasks busy 950 ms/s = 1.9 busy subtasks; CPU time grows 1.8 s per second = 1.8 cores
    // ≥ 0.5 × 1.9: computing, not waiting.
    Diagnosis d =
        Classifier.classify(
            window(
                i ->
                    sourceInto("map", 2, m -> m.backPressured(0).busy(940, 950, 960))
                        .cpu(9.0 * i, 8)),
            T);
    assertThat(d.cause()).isEqualTo(Cause.COMPUTE_BOTTLENECK);
    assertThat(bottleneck(d)).isEqualTo("map");
    assertThat(d.symptom().sustained()).isTrue();
    assertThat(d.actionable()).isTrue();
  }

  @Test
  void busyButBarelyUsingCpuIsBlockingIo() {
    // 2 busy subtasks, CPU grows 0.5 s per 5 s = 0.1 cores < 0.5 × 2 = 1.0, machine has 8 cores.
    Diagnosis d =
        Classifier.classify(
            window(i -> sourceInto("sink", 2, m -> m.backPressured(0).busy(990)).cpu(0.5 * i, 8)),
            T);
    assertThat(d.cause()).isEqualTo(Cause.BLOCKING_IO);
    assertThat(bottleneck(d)).isEqualTo("sink");
  }

  @Test
  void aSaturatedMachineIsComputeEvenWhenCoresPerSubtaskAreFew() {
    // 8 busy subtasks on 2 cores: 2.0 cores used < 0.5 × 8 = 4, but 2.0 ≥ 80% of 2 cores.
    Diagnosis d =
        Classifier.classify(
            window(i -> sourceInto("map", 8, m -> m.backPressured(0).busy(990)).cpu(10.0 * i, 2)),
            T);
    assertThat(d.cause()).isEqualTo(Cause.COMPUTE_BOTTLENECK);
  }

  @Test
  void oneHotSubtaskIsSkew() {
    // max 1000, avg 260 < 0.6 × 1000 = 600: one subtask carries the load.
    Diagnosis d =
        Classifier.classify(
            window(
                i ->
                    sourceInto(
                            "keyed",
                            4,
                            m ->
                                m.backPressured(0)
                                    .busy(10, 260, 1000)
                                    .set(
                                        dev.backpressure.flink.VertexMetric.RECORDS_IN,
                                        10,
                                        300,
                                        1000))
                        .cpu(4.0 * i, 8)),
            T);
    assertThat(d.cause()).isEqualTo(Cause.DATA_SKEW);
    assertThat(bottleneck(d)).isEqualTo("keyed");
  }

  @Test
  void serializerFramesInTheFlameGraphAreSerialization() {
    // 70 of 100 on-CPU samples under KryoSerializer.deserialize: 0.7 ≥ 0.3.
    FlameGraph flame =
        new FlameGraph(
            1,
            new FlameGraph.Node(
                "root",
                100,
                List.of(
                    new FlameGraph.Node(
                        "org.apache.flink.api.java.typeutils.runtime.kryo.KryoSerializer.deserialize:1",
                        70,
                        List.of()),
                    new FlameGraph.Node("org.example.Map.map:1", 30, List.of()))));
    Diagnosis d =
        Classifier.classify(
            window(
                i ->
                    sourceInto("map", 2, m -> m.backPressured(0).busy(990))
                        .cpu(9.0 * i, 8)
                        .flameGraph("map", flame)),
            T);
    assertThat(d.cause()).isEqualTo(Cause.SERIALIZATION);
  }

  @Test
  void aSleepingBottleneckIsBlockingEvenWhenItsFewOnCpuSamplesAreSerializers() {
    // A sleeping sink is hardly ever on the CPU; the handful of samples Flink does catch can all
    // be serializer frames. CPU time decides first, and 3 samples are too few to judge anyway.
    FlameGraph fewSamples =
        new FlameGraph(
            1,
            new FlameGraph.Node(
                "root",
                3,
                List.of(
                    new FlameGraph.Node(
                        "org.apache.flink.streaming.runtime.streamrecord.StreamElementSerializer.deserialize:1",
                        3,
                        List.of()))));
    Diagnosis d =
        Classifier.classify(
            window(
                i ->
                    sourceInto("sink", 2, m -> m.backPressured(0).busy(1000))
                        .cpu(0.5 * i, 2) // 0.1 cores
                        .flameGraph("sink", fewSamples)),
            T);
    assertThat(d.cause()).isEqualTo(Cause.BLOCKING_IO);

    Diagnosis cpuBound =
        Classifier.classify(
            window(
                i ->
                    sourceInto("sink", 2, m -> m.backPressured(0).busy(1000))
                        .cpu(9.5 * i, 2) // 1.9 cores
                        .flameGraph("sink", fewSamples)),
            T);
    assertThat(cpuBound.cause()).isEqualTo(Cause.COMPUTE_BOTTLENECK);
    assertThat(cpuBound.notes()).anyMatch(n -> n.contains("too few to judge"));
  }

  @Test
  void exhaustedNetworkSegmentsAreTooFewBuffers() {
    // Bottleneck idle (busy 50 < 800), 20 of 4096 segments free = 0.5% ≤ 5%.
    Diagnosis d =
        Classifier.classify(
            window(
                i ->
                    sourceInto("map", 2, m -> m.backPressured(0).busy(50).inPool(1.0))
                        .segments(20, 4096)),
            T);
    assertThat(d.cause()).isEqualTo(Cause.TOO_FEW_NETWORK_BUFFERS);
  }

  @Test
  void perChannelKeysBelowDefaultsOnFlink1AreBuffersPerChannel() {
    Diagnosis d =
        Classifier.classify(
            window(
                i ->
                    sourceInto("map", 2, m -> m.backPressured(0).busy(10))
                        .config("taskmanager.network.memory.buffers-per-channel", "0")
                        .config("taskmanager.network.memory.floating-buffers-per-gate", "1")),
            T);
    assertThat(d.cause()).isEqualTo(Cause.BUFFERS_PER_CHANNEL);
  }

  @Test
  void perChannelKeysAreIgnoredOnFlink2WhereTheyNoLongerExist() {
    Diagnosis d =
        Classifier.classify(
            window(
                i ->
                    sourceInto(
                            "map",
                            2,
                            m -> m.backPressured(0).busy(10).inPool(0.02).remoteBytesIn(1e6))
                        .version("2.1.0")
                        .config("taskmanager.network.memory.buffers-per-channel", "0")),
            T);
    assertThat(d.cause()).isNotEqualTo(Cause.BUFFERS_PER_CHANNEL);
  }

  @Test
  void fullSendersIdleStarvedRemoteReceiversAreNetworkLatency() {
    // Sender out pool 1.0 ≥ 0.9; receiver idle, in pool 0.02 ≤ 0.1, receiving remotely.
    Diagnosis d =
        Classifier.classify(
            window(
                i ->
                    sourceInto(
                        "map",
                        2,
                        m -> m.backPressured(0).busy(30).inPool(0.02).remoteBytesIn(2e6))),
            T);
    assertThat(d.cause()).isEqualTo(Cause.NETWORK_LATENCY);
    assertThat(bottleneck(d)).isEqualTo("map");
  }

  @Test
  void insufficientBuffersExceptionDecidesWithoutMetrics() {
    String trace =
        "org.apache.flink.runtime.JobException: Recovery is suppressed\n"
            + "Caused by: java.io.IOException: Insufficient number of network buffers: required 9, but only 5"
            + " available. The total number of network buffers is currently set to 32 of 32768 bytes each.";
    Diagnosis d =
        Classifier.classify(
            window(
                i ->
                    sourceInto("map", 8, m -> m.busy(0))
                        .state(JobState.RESTARTING)
                        .exception(trace, T0.plusSeconds(5L * i), "map (3/8)")),
            T);
    assertThat(d.cause()).isEqualTo(Cause.TOO_FEW_NETWORK_BUFFERS);
    assertThat(bottleneck(d)).isEqualTo("map");
    assertThat(d.evidence()).anyMatch(e -> e.describe().contains("required 9, but only 5"));
  }

  @Test
  void anOldInsufficientBuffersExceptionIsNotCurrentEvidence() {
    String trace = "java.io.IOException: Insufficient number of network buffers: required 9";
    Diagnosis d =
        Classifier.classify(
            window(
                i ->
                    sourceInto("map", 2, m -> m.backPressured(0).busy(100))
                        .exception(trace, T0.minus(Duration.ofHours(1)), null)),
            T);
    assertThat(d.cause()).isNotEqualTo(Cause.TOO_FEW_NETWORK_BUFFERS);
  }

  @Test
  void iterationLoopAllBackpressuredIsACyclicDeadlock() {
    Diagnosis d =
        Classifier.classify(
            window(
                i ->
                    TestingSnapshots.job()
                        .vertex("source", 2, m -> m.backPressured(1000).busy(0))
                        .vertex("IterationSource-7", 2, m -> m.backPressured(1000).busy(0))
                        .vertex("body", 2, m -> m.backPressured(1000).busy(0))
                        .vertex("IterationSink-7", 2, m -> m.backPressured(0).busy(1000))
                        .edge("source", "body")
                        .edge("IterationSource-7", "body", "FORWARD")
                        .edge("body", "IterationSink-7", "FORWARD")
                        .segments(4000, 4096)),
            T);
    assertThat(d.cause()).isEqualTo(Cause.CYCLIC_DEADLOCK);
    assertThat(bottleneck(d)).isEqualTo("IterationSource-7");
  }

  @Test
  void noBackpressureIsHealthy() {
    Diagnosis d =
        Classifier.classify(
            window(
                i ->
                    TestingSnapshots.job()
                        .vertex("source", 2, m -> m.backPressured(20).busy(300))
                        .vertex("map", 2, m -> m.backPressured(0).busy(200))
                        .edge("source", "map")),
            T);
    assertThat(d.cause()).isEqualTo(Cause.HEALTHY);
    assertThat(d.symptom().backpressured()).isFalse();
    assertThat(d.actionable()).isFalse();
  }

  @Test
  void backpressureInOnlyTwoOfFourSnapshotsIsNotSustained() {
    // 2 of 4 backpressured: below 3 samples and below 80% of the window.
    SnapshotWindow mixed =
        SnapshotWindow.of(
            List.of(
                TestingSnapshots.job()
                    .vertex("source", 2, m -> m.backPressured(0).busy(500))
                    .vertex("map", 2, m -> m.backPressured(0).busy(500))
                    .edge("source", "map")
                    .at(T0)
                    .build(),
                TestingSnapshots.job()
                    .vertex("source", 2, m -> m.backPressured(0).busy(500))
                    .vertex("map", 2, m -> m.backPressured(0).busy(500))
                    .edge("source", "map")
                    .at(T0.plusSeconds(5))
                    .build(),
                sourceInto("map", 2, m -> m.backPressured(0).busy(990))
                    .at(T0.plusSeconds(10))
                    .build(),
                sourceInto("map", 2, m -> m.backPressured(0).busy(990))
                    .at(T0.plusSeconds(15))
                    .build()));
    Diagnosis transientOne = Classifier.classify(mixed, T);
    assertThat(transientOne.symptom().backpressured()).isTrue();
    assertThat(transientOne.symptom().sustained()).isFalse();
    assertThat(transientOne.actionable()).isFalse();
  }

  /** A job flowing with no backpressure anywhere. */
  private static TestingSnapshots calm() {
    return TestingSnapshots.job()
        .vertex("source", 2, m -> m.backPressured(0).busy(500))
        .vertex("map", 2, m -> m.backPressured(0).busy(500))
        .edge("source", "map");
  }

  @Test
  void backpressureThatBeganMidWindowIsSustainedOnceItHasLastedNotWhenItFillsTheWindow() {
    // As a policy samples by default: every 30 s, ten kept, sustained after 2 minutes. Healthy for
    // five samples, then backpressured: the window is only half backpressured, but the last two
    // minutes are all of it.
    Thresholds policy = T.with(java.util.Map.of("sustainDuration", "2m"));
    List<JobSnapshot> list = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      list.add(
          (i < 5 ? calm() : sourceInto("map", 2, m -> m.backPressured(0).busy(990)))
              .at(T0.plusSeconds(30L * i))
              .build());
    }
    Diagnosis d = Classifier.classify(SnapshotWindow.of(list), policy);
    assertThat(d.symptom().sustained()).isTrue();
    assertThat(d.cause()).isEqualTo(Cause.COMPUTE_BOTTLENECK);
    // One sample sooner, the backpressure has lasted 90 s: not yet.
    Diagnosis sooner = Classifier.classify(SnapshotWindow.of(list.subList(0, 9)), policy);
    assertThat(sooner.symptom().sustained()).isFalse();
  }

  @Test
  void backpressureThatComesAndGoesIsNotSustainedHoweverLongTheWindow() {
    List<JobSnapshot> list = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      list.add(
          (i % 2 == 0 ? calm() : sourceInto("map", 2, m -> m.backPressured(0).busy(990)))
              .at(T0.plusSeconds(30L * i))
              .build());
    }
    Diagnosis d = Classifier.classify(SnapshotWindow.of(list), T);
    assertThat(d.symptom().backpressured()).isTrue();
    assertThat(d.symptom().sustained()).isFalse();
  }

  @Test
  void unknownBusyTimeStaysUnknownAndIsNotActedOn() {
    // The bottleneck reports no busy time (NaN dropped by the reader): no guess, no action.
    Diagnosis d =
        Classifier.classify(window(i -> sourceInto("map", 2, m -> m.backPressured(0))), T);
    assertThat(d.cause()).isEqualTo(Cause.UNKNOWN);
    assertThat(d.actionable()).isFalse();
    assertThat(d.notes()).anyMatch(n -> n.contains("unknown"));
  }
}
