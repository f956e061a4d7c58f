package dev.backpressure.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.runtime.rest.messages.job.JobDetailsInfo;
import org.junit.jupiter.api.Test;

/**
 * The autoscaler library on the test classpath carries an older copy of one of Flink's REST classes
 * under Flink's own name; whichever jar comes first wins. If it were the copy, every MiniCluster
 * would answer GET /jobs/:id with a 500, and the real-Flink tests would fail far from the cause:
 * this says it at once.
 */
class FlinkClasspathTest {

  @Test
  void flinksOwnJobDetailsComeFirst() throws Exception {
    assertThat(JobDetailsInfo.class.getProtectionDomain().getCodeSource().getLocation().getPath())
        .as("flink-autoscaler must come after flink-runtime in pom.xml")
        .contains("flink-runtime");
    // The 1.20 class, with the job type the MiniCluster's handler fills in.
    assertThat(JobDetailsInfo.class.getMethod("getJobType")).isNotNull();
  }
}
