package dev.backpressure.remediation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.backpressure.remediation.TaskManagerMemoryModel.InvalidMemoryConfiguration;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.IllegalConfigurationException;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The memory model against Flink's own derivation (TaskExecutorProcessUtils of Flink 1.20.3, on the
 * test classpath): for every configuration both must agree on each memory component to the byte, or
 * both must refuse it with the same kind of message.
 */
class TaskManagerMemoryModelTest {

  static Stream<Arguments> configurations() {
    return Stream.of(
        // Flink's default flink-conf.yaml: process 1728m → overhead 192m (10% = 172.8m, raised to
        // the 192m minimum), metaspace 256m, Flink memory 1280m, network 10% = 128m, managed 40%.
        Arguments.of("default process size", Map.of("taskmanager.memory.process.size", "1728m")),
        Arguments.of("4g process", Map.of("taskmanager.memory.process.size", "4g")),
        Arguments.of(
            "larger network fraction",
            Map.of(
                "taskmanager.memory.process.size",
                "2g",
                "taskmanager.memory.network.fraction",
                "0.2")),
        Arguments.of(
            "network pinned with min = max",
            Map.of(
                "taskmanager.memory.process.size",
                "2g",
                "taskmanager.memory.network.min",
                "512m",
                "taskmanager.memory.network.max",
                "512m")),
        Arguments.of(
            "network capped by max",
            Map.of(
                "taskmanager.memory.process.size", "4g", "taskmanager.memory.network.max", "100m")),
        Arguments.of(
            "deprecated network keys",
            Map.of(
                "taskmanager.memory.process.size",
                "2g",
                "taskmanager.network.memory.min",
                "256m",
                "taskmanager.network.memory.max",
                "256m")),
        Arguments.of("total Flink memory", Map.of("taskmanager.memory.flink.size", "1280m")),
        Arguments.of(
            "managed taken down to make room",
            Map.of(
                "taskmanager.memory.process.size",
                "2g",
                "taskmanager.memory.managed.size",
                "100m",
                "taskmanager.memory.network.min",
                "400m",
                "taskmanager.memory.network.max",
                "400m")),
        Arguments.of(
            "fine-grained heap and managed",
            Map.of(
                "taskmanager.memory.task.heap.size",
                "512m",
                "taskmanager.memory.managed.size",
                "512m")),
        Arguments.of(
            "fine-grained with total: network is the rest",
            Map.of(
                "taskmanager.memory.task.heap.size",
                "512m",
                "taskmanager.memory.managed.size",
                "512m",
                "taskmanager.memory.flink.size",
                "2g")),
        Arguments.of(
            "heap and total Flink memory",
            Map.of(
                "taskmanager.memory.task.heap.size",
                "700m",
                "taskmanager.memory.flink.size",
                "2g")),
        Arguments.of(
            "process and Flink size both set",
            Map.of(
                "taskmanager.memory.process.size", "2g", "taskmanager.memory.flink.size", "1600m")),
        Arguments.of(
            "segment size",
            Map.of(
                "taskmanager.memory.process.size",
                "1g",
                "taskmanager.memory.segment-size",
                "16kb")),
        // Refused by Flink:
        Arguments.of(
            "fine-grained exceeds total",
            Map.of(
                "taskmanager.memory.task.heap.size",
                "1g",
                "taskmanager.memory.managed.size",
                "1g",
                "taskmanager.memory.flink.size",
                "2g")),
        Arguments.of(
            "network larger than the process allows",
            Map.of(
                "taskmanager.memory.process.size",
                "1g",
                "taskmanager.memory.network.min",
                "900m",
                "taskmanager.memory.network.max",
                "900m")),
        Arguments.of(
            "process too small for metaspace, overhead and network",
            Map.of("taskmanager.memory.process.size", "512m")),
        Arguments.of(
            "overhead outside its range",
            Map.of(
                "taskmanager.memory.process.size", "2g", "taskmanager.memory.flink.size", "1900m")),
        Arguments.of(
            "network rest outside its range",
            Map.of(
                "taskmanager.memory.task.heap.size",
                "512m",
                "taskmanager.memory.managed.size",
                "512m",
                "taskmanager.memory.flink.size",
                "2g",
                "taskmanager.memory.network.max",
                "256m")),
        Arguments.of("nothing sized", Map.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configurations")
  void agreesWithFlink(String name, Map<String, String> config) {
    Throwable flinkError = catchThrowable(() -> flink(config));
    Throwable ourError = catchThrowable(() -> TaskManagerMemoryModel.derive(config));
    if (flinkError != null) {
      assertThat(flinkError).isInstanceOf(IllegalConfigurationException.class);
      assertThat(ourError)
          .as("Flink refuses: %s", flinkError.getMessage())
          .isInstanceOf(InvalidMemoryConfiguration.class);
      assertThat(ourError.getMessage().substring(0, 20))
          .isEqualTo(rootMessage(flinkError).substring(0, 20));
      return;
    }
    assertThat(ourError).as("Flink accepts this configuration").isNull();
    TaskExecutorProcessSpec expected = flink(config);
    TaskManagerMemory actual = TaskManagerMemoryModel.derive(config);
    assertThat(actual.taskHeap().bytes()).isEqualTo(expected.getTaskHeapSize().getBytes());
    assertThat(actual.taskOffHeap().bytes()).isEqualTo(expected.getTaskOffHeapSize().getBytes());
    assertThat(actual.managed().bytes()).isEqualTo(expected.getManagedMemorySize().getBytes());
    assertThat(actual.network().bytes()).isEqualTo(expected.getNetworkMemSize().getBytes());
    assertThat(actual.metaspace().bytes()).isEqualTo(expected.getJvmMetaspaceSize().getBytes());
    assertThat(actual.overhead().bytes()).isEqualTo(expected.getJvmOverheadSize().getBytes());
    // Framework heap and off-heap have no public getters; the totals cover them.
    assertThat(actual.totalFlink().bytes())
        .isEqualTo(expected.getTotalFlinkMemorySize().getBytes());
    assertThat(actual.totalProcess().bytes())
        .isEqualTo(expected.getTotalProcessMemorySize().getBytes());
  }

  @Test
  void defaultConfigurationHasTheDocumentedBreakdown() {
    // 1728m process: overhead max(192m, 172.8m) = 192m, metaspace 256m → Flink memory 1280m;
    // network 10% = 128m (4096 buffers of 32k), managed 40% = 512m, heap 1280-128-128-512-128 =
    // 384m.
    TaskManagerMemory m =
        TaskManagerMemoryModel.derive(Map.of("taskmanager.memory.process.size", "1728m"));
    assertThat(m.totalFlink()).isEqualTo(MemorySize.parse("1280m"));
    assertThat(m.network().bytes()).isEqualTo(134_217_730L);
    assertThat(m.networkBuffers()).isEqualTo(4096);
    assertThat(m.managed().mebiBytes()).isEqualTo(512);
    assertThat(m.taskHeap().mebiBytes()).isEqualTo(383);
  }

  @Test
  void refusesWithAMessageThatSaysWhatToChange() {
    assertThatThrownBy(() -> TaskManagerMemoryModel.derive(Map.of()))
        .hasMessageContaining("taskmanager.memory.process.size");
  }

  private static TaskExecutorProcessSpec flink(Map<String, String> config) {
    return TaskExecutorProcessUtils.processSpecFromConfig(Configuration.fromMap(config));
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null
        && root.getMessage() != null
        && !root.getMessage().startsWith("Sum")
        && !root.getMessage().startsWith("Either")
        && !root.getMessage().startsWith("Derived")
        && !root.getMessage().startsWith("If ")
        && !root.getMessage().startsWith("Inconsistent")) {
      root = root.getCause();
    }
    return root.getMessage();
  }
}
