package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code spec.taskManager.resource.memory} read as the Flink operator reads it: Flink's syntax
 * first, then a Kubernetes quantity (binary "Gi", decimal "G", fractions), so that the memory model
 * starts from the process size the TaskManager really gets.
 */
class ProcessSizeTest {

  @ParameterizedTest(name = "{0} → {1} bytes")
  @CsvSource({
    "2048m, 2147483648",
    "'2 gb', 2147483648",
    "1G, 1073741824",
    "2Gi, 2147483648",
    "1.5Gi, 1610612736",
    "512Mi, 536870912",
    "1.5g, 1500000000",
    "1500M, 1572864000",
    "' 4Gi ', 4294967296",
    "1.5Gib, 1610612736",
  })
  void readsFlinkSizesAndKubernetesQuantities(String memory, String bytes) {
    assertThat(FlinkDeployments.processSize(memory)).isEqualTo(bytes);
  }

  @ParameterizedTest
  @CsvSource({"lots", "1.5 parsecs"})
  void leavesWhatNeitherReadsForTheMemoryModelToRefuse(String memory) {
    assertThat(FlinkDeployments.processSize(memory)).isEqualTo(memory.trim());
  }
}
