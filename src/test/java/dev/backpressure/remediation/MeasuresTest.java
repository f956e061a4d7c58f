package dev.backpressure.remediation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.VertexMetric;
import dev.backpressure.testing.TestingSnapshots;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A change is judged by throughput before and after it: both must be the job's real rate, taken
 * over windows of the same kind, whether the job started a minute or an hour before.
 */
class MeasuresTest {

  private static final Instant START = Instant.parse("2026-03-02T10:00:00Z");

  /**
   * A snapshot {@code uptime} after the tasks started, the source emitting {@code rate} records a
   * second since: the counter holds them all, while Flink's meter divides the last minute's growth
   * by 60 even before a minute has passed, as its MeterView does (a ring of 5 s updates from 0).
   */
  private static JobSnapshot at(Instant started, Duration uptime, double rate) {
    double seconds = uptime.toSeconds();
    double lastUpdate = Math.floor(seconds / 5) * 5;
    double meter = rate * Math.min(lastUpdate, 60) / 60;
    double counter = rate * seconds;
    return TestingSnapshots.job()
        .at(started.plus(uptime))
        .vertex(
            "source",
            1,
            m ->
                m.backPressured(900)
                    .set(VertexMetric.RECORDS_OUT, meter, meter, meter)
                    .set(VertexMetric.RECORDS_OUT_TOTAL, counter, counter, counter))
        .vertex("map", 2, m -> m.busy(1000).backPressured(0))
        .edge("source", "map")
        .build();
  }

  /** Snapshots every {@code every}, from {@code first} to {@code last} after the tasks started. */
  private static List<JobSnapshot> window(
      Duration first, Duration last, Duration every, double rate) {
    List<JobSnapshot> w = new ArrayList<>();
    for (Duration t = first; t.compareTo(last) <= 0; t = t.plus(every)) {
      w.add(at(START, t, rate));
    }
    return w;
  }

  @Test
  void aBaselineTakenInTheJobsFirstMinuteIsItsRealRate() {
    List<JobSnapshot> young = window(Duration.ofSeconds(4), Duration.ofSeconds(22), s(2), 914);

    assertThat(Measures.of(young.get(young.size() - 1)).orElseThrow().throughput())
        .as("the meter, 22 s after the start")
        .isLessThan(400);
    assertThat(Measures.over(young).orElseThrow().throughput()).isCloseTo(914, within(0.5));
  }

  @Test
  void theBaselineAndTheFigureAfterAChangeCompareLikeWithLike() {
    Measures before = Measures.over(window(s(4), s(22), s(2), 914)).orElseThrow();
    Measures after = Measures.over(window(s(300), s(318), s(2), 914)).orElseThrow();

    assertThat(after.throughput()).isCloseTo(before.throughput(), within(0.5));
    assertThat(after.worstBackPressure()).isEqualTo(before.worstBackPressure());
  }

  @Test
  void onlyTheSnapshotsSinceTheLastRestartCount() {
    List<JobSnapshot> w = new ArrayList<>(window(s(100), s(110), s(2), 900));
    // Restarted at 111 s: the counters start again, and the job runs at 500 a second.
    Instant restarted = START.plus(s(111));
    for (int t = 2; t <= 10; t += 2) {
      w.add(at(restarted, s(t), 500));
    }

    assertThat(Measures.over(w).orElseThrow().throughput()).isCloseTo(500, within(0.5));
  }

  @Test
  void oneSnapshotOfARunIsNotARate() {
    JobSnapshot once = at(START, s(30), 900);
    assertThat(Measures.over(List.of(once))).isEmpty();
    assertThat(Measures.over(List.of(once, once))).as("no time between them").isEmpty();
  }

  @Test
  void answersWithoutTheCounterGiveTheMeter() {
    JobSnapshot recorded =
        TestingSnapshots.job()
            .vertex(
                "source", 2, m -> m.backPressured(900).set(VertexMetric.RECORDS_OUT, 40, 50, 60))
            .vertex("map", 2, m -> m.busy(1000).backPressured(0))
            .edge("source", "map")
            .build();

    assertThat(Measures.over(List.of(recorded))).isEqualTo(Measures.of(recorded));
  }

  @Test
  void aCounterSomeSubtasksDoNotReportYetIsNoRate() {
    List<JobSnapshot> w = new ArrayList<>(window(s(100), s(110), s(2), 900));
    // Two subtasks, one reporting: the sum is one subtask's count.
    w.add(
        TestingSnapshots.job()
            .at(START.plus(s(112)))
            .vertex(
                "source",
                2,
                m ->
                    m.backPressured(900)
                        .set(VertexMetric.RECORDS_OUT, 900, 900, 900)
                        .set(VertexMetric.RECORDS_OUT_TOTAL, 100_800, 100_800, 100_800))
            .vertex("map", 2, m -> m.busy(1000).backPressured(0))
            .edge("source", "map")
            .build());

    assertThat(Measures.over(w)).isEmpty();
  }

  private static Duration s(int seconds) {
    return Duration.ofSeconds(seconds);
  }
}
