package dev.backpressure.flink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.remediation.RemedyKind;
import dev.backpressure.remediation.Setting;
import dev.backpressure.remediation.SettingChange;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The keys and defaults this project takes from Flink's option definitions are the ones its
 * deployments carry and its recordings show; a Flink upgrade that renames one fails here first.
 */
class FlinkOptionsTest {

  @Test
  void theKeysAreTheOnesFlinkReadsWithTheirOlderNames() {
    assertThat(FlinkOptions.PARALLELISM_OVERRIDES.key())
        .isEqualTo("pipeline.jobvertex-parallelism-overrides");
    assertThat(FlinkOptions.NETWORK_MIN.key()).isEqualTo("taskmanager.memory.network.min");
    assertThat(FlinkOptions.NETWORK_MIN.olderKeys())
        .containsExactly("taskmanager.network.memory.min");
    assertThat(FlinkOptions.NETWORK_MAX.olderKeys())
        .containsExactly("taskmanager.network.memory.max");
    assertThat(FlinkOptions.NETWORK_FRACTION.olderKeys())
        .containsExactly("taskmanager.network.memory.fraction");
    assertThat(FlinkOptions.STATE_BACKEND.key()).isEqualTo("state.backend.type");
    assertThat(FlinkOptions.STATE_BACKEND.olderKeys()).containsExactly("state.backend");
    assertThat(FlinkOptions.BUFFERS_PER_CHANNEL.key())
        .isEqualTo("taskmanager.network.memory.buffers-per-channel");
    assertThat(FlinkOptions.FLOATING_BUFFERS_PER_GATE.key())
        .isEqualTo("taskmanager.network.memory.floating-buffers-per-gate");
  }

  @Test
  void defaultsAreFlinksAndAnUnreadableValueFallsBackToThem() {
    assertThat(FlinkOptions.BUFFERS_PER_CHANNEL.defaultInt()).isEqualTo(2);
    assertThat(FlinkOptions.FLOATING_BUFFERS_PER_GATE.defaultInt()).isEqualTo(8);
    assertThat(FlinkOptions.TASK_SLOTS.defaultInt()).isEqualTo(1);
    assertThat(FlinkOptions.BUFFERS_PER_CHANNEL.intIn(Map.of())).isEqualTo(2);
    assertThat(
            FlinkOptions.BUFFERS_PER_CHANNEL.intIn(
                Map.of("taskmanager.network.memory.buffers-per-channel", " 1 ")))
        .isEqualTo(1);
    assertThat(
            FlinkOptions.BUFFERS_PER_CHANNEL.intIn(
                Map.of("taskmanager.network.memory.buffers-per-channel", "two")))
        .isEqualTo(2);
  }

  @Test
  void aKeyIsReadUnderItsOlderNameOnlyWhenItsOwnIsUnset() {
    assertThat(FlinkOptions.NETWORK_MIN.in(Map.of("taskmanager.network.memory.min", "64m")))
        .contains("64m");
    assertThat(
            FlinkOptions.NETWORK_MIN.in(
                Map.of(
                    "taskmanager.network.memory.min", "64m",
                    "taskmanager.memory.network.min", "128m")))
        .contains("128m");
  }

  @Test
  void everyConfigurationKeyTheOperatorOwnsIsOneKindOfRemedy() {
    for (String key : Setting.OWNED_CONFIGURATION_KEYS) {
      assertThat(RemedyKind.of(SettingChange.config(key, Optional.empty(), "1")))
          .as(key)
          .isNotNull();
    }
    assertThat(
            RemedyKind.of(
                new SettingChange(
                    Setting.JOB_PARALLELISM, "spec.job.parallelism", Optional.empty(), "4")))
        .isEqualTo(RemedyKind.SCALING);
  }
}
