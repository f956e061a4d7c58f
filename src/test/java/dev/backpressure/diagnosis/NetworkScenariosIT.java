package dev.backpressure.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.testing.Observation;
import dev.backpressure.testing.Scenario;
import dev.backpressure.testing.TestingFlinkCluster;
import java.time.Duration;
import org.apache.flink.api.common.JobID;
import org.junit.jupiter.api.Test;

/**
 * The network causes on real Flink clusters shaped for them: one slot per TaskManager, so that
 * exchanges cross Netty and the buffer pools report real usage, or too little network memory for
 * the job to start.
 */
class NetworkScenariosIT {

  private static Observation.Result run(Scenario scenario) throws Exception {
    try (TestingFlinkCluster flink = scenario.cluster().start()) {
      JobID id = flink.submit(scenario.job(), scenario.fixtureName());
      try {
        Observation.Result r =
            Observation.untilSignal(
                flink.restUrl(), id.toString(), scenario.signal(), Duration.ofSeconds(90));
        System.out.println("== " + scenario + "\n" + r);
        assertThat(r.signalShown())
            .as(
                "the %s job never showed its signal, so there is nothing to judge:%n%s",
                scenario, r)
            .isTrue();
        return r;
      } finally {
        flink.cancel(id);
      }
    }
  }

  @Test
  void networkMemoryTooSmallForAWideShuffleFailsAtStartup() throws Exception {
    Observation.Result r = run(Scenario.NETWORK_MEMORY_AT_STARTUP);
    assertThat(r.diagnosis().cause()).as(r.toString()).isEqualTo(Cause.TOO_FEW_NETWORK_BUFFERS);
    assertThat(r.diagnosis().evidence())
        .as(r.toString())
        .anyMatch(e -> e.describe().contains("Insufficient number of network buffers"));
  }

  @Test
  void buffersPerChannelSetVeryLow() throws Exception {
    Observation.Result r = run(Scenario.BUFFERS_PER_CHANNEL);
    assertThat(r.diagnosis().cause()).as(r.toString()).isEqualTo(Cause.BUFFERS_PER_CHANNEL);
    assertThat(r.diagnosis().bottleneck().orElseThrow().name())
        .as(r.toString())
        .startsWith("receive");
  }
}
