package dev.backpressure.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.testing.Observation;
import dev.backpressure.testing.Scenario;
import dev.backpressure.testing.TestingFlinkCluster;
import java.time.Duration;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The classifier on real Flink jobs that share one TaskManager (one cluster for all, jobs one at a
 * time): each is watched until it has shown its scenario's signal over a whole window, and the
 * verdict of that window must name the right cause at the right vertex.
 */
class SingleTaskManagerScenariosIT {

  private static TestingFlinkCluster flink;

  @BeforeAll
  static void start() throws Exception {
    flink = Scenario.oneTaskManager().start();
  }

  @AfterAll
  static void stop() throws Exception {
    flink.close();
  }

  private static Observation.Result watch(Scenario scenario) throws Exception {
    JobID id = flink.submit(scenario.job(), scenario.fixtureName());
    try {
      flink.awaitStatus(id, JobStatus.RUNNING, Duration.ofSeconds(30));
      Observation.Result r =
          Observation.untilSignal(
              flink.restUrl(), id.toString(), scenario.signal(), Duration.ofSeconds(90));
      System.out.println("== " + scenario + "\n" + r);
      assertThat(r.signalShown())
          .as("the %s job never showed its signal, so there is nothing to judge:%n%s", scenario, r)
          .isTrue();
      return r;
    } finally {
      flink.cancel(id);
    }
  }

  private static void assertVerdict(Observation.Result r, Cause cause, String vertexPrefix) {
    String context = "the job showed its signal, and the classifier said:\n" + r;
    assertThat(r.diagnosis().cause()).as(context).isEqualTo(cause);
    assertThat(r.diagnosis().symptom().sustained()).as(context).isTrue();
    assertThat(r.diagnosis().bottleneck().orElseThrow().name())
        .as(context)
        .startsWith(vertexPrefix);
  }

  @Test
  void healthyJobIsHealthy() throws Exception {
    Observation.Result r = watch(Scenario.HEALTHY);
    String context = "the job showed its signal, and the classifier said:\n" + r;
    assertThat(r.diagnosis().cause()).as(context).isEqualTo(Cause.HEALTHY);
    assertThat(r.diagnosis().symptom().sustained()).as(context).isFalse();
  }

  @Test
  void cpuHeavyMapIsAComputeBottleneck() throws Exception {
    assertVerdict(watch(Scenario.COMPUTE), Cause.COMPUTE_BOTTLENECK, "heavy map");
  }

  @Test
  void hotKeyIsSkew() throws Exception {
    assertVerdict(watch(Scenario.SKEW), Cause.DATA_SKEW, "keyed work");
  }

  @Test
  void sleepingSinkIsBlockingIo() throws Exception {
    assertVerdict(watch(Scenario.BLOCKING), Cause.BLOCKING_IO, "blocking call");
  }

  @Test
  void kryoRecordsAreSerializationOverhead() throws Exception {
    assertVerdict(watch(Scenario.KRYO), Cause.SERIALIZATION, "read opaque");
  }

  @Test
  void amplifyingIterationIsACyclicDeadlock() throws Exception {
    assertVerdict(watch(Scenario.ITERATION), Cause.CYCLIC_DEADLOCK, "IterationSource-");
  }
}
