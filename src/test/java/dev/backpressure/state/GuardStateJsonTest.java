package dev.backpressure.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.backpressure.diagnosis.Cause;
import dev.backpressure.remediation.GuardState;
import dev.backpressure.remediation.Measures;
import dev.backpressure.remediation.Setting;
import dev.backpressure.remediation.SettingChange;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The guard state survives the trip through JSON exactly, and foreign records are refused. */
class GuardStateJsonTest {

  private static final Instant T = Instant.parse("2026-03-02T10:00:00Z");

  @Test
  void roundTripsEveryField() throws Exception {
    GuardState state =
        new GuardState(
            Optional.of(
                new GuardState.InFlight(
                    "change-1",
                    GuardState.Phase.ROLLING_BACK,
                    Cause.COMPUTE_BOTTLENECK,
                    "scale:a1b2",
                    List.of(
                        new SettingChange(
                            Setting.FLINK_CONFIGURATION,
                            "pipeline.jobvertex-parallelism-overrides",
                            Optional.empty(),
                            "a1b2:8"),
                        new SettingChange(
                            Setting.FLINK_CONFIGURATION,
                            "taskmanager.memory.network.max",
                            Optional.of("1m"),
                            null)),
                    T,
                    Optional.of(T.plusSeconds(60)),
                    new Measures(1000, 6000.5),
                    Optional.of(T.plusSeconds(600)),
                    "did not improve")),
            List.of(
                new GuardState.PastChange(
                    "change-0",
                    Cause.TOO_FEW_NETWORK_BUFFERS,
                    "network-memory",
                    T.minusSeconds(7200),
                    T.minusSeconds(6000),
                    GuardState.Outcome.VERIFIED,
                    "ok")),
            List.of(
                new GuardState.Bar(
                    "COMPUTE_BOTTLENECK/scale:a1b2", T.plusSeconds(3600), "did not improve")));
    String json = GuardStateJson.write(state);
    assertThat(json.length()).isLessThan(1024);
    assertThat(GuardStateJson.read(json)).isEqualTo(state);
    assertThat(json).doesNotContain("jobRunning");

    // The baseline of a job that could not start keeps saying so.
    GuardState.InFlight f = state.inFlight().orElseThrow();
    GuardState failing =
        new GuardState(
            Optional.of(
                new GuardState.InFlight(
                    f.id(),
                    f.phase(),
                    f.cause(),
                    f.remedy(),
                    f.changes(),
                    f.appliedAt(),
                    f.stableSince(),
                    Measures.notRunning(),
                    f.rollbackAt(),
                    f.reason())),
            List.of(),
            List.of());
    assertThat(GuardStateJson.read(GuardStateJson.write(failing))).isEqualTo(failing);
  }

  @Test
  void refusesAnotherVersionAndGarbageWithAReason() {
    assertThatThrownBy(() -> GuardStateJson.read("{\"version\":2}"))
        .isInstanceOf(GuardStateJson.Unreadable.class)
        .hasMessageContaining("version 2");
    assertThatThrownBy(() -> GuardStateJson.read("not json"))
        .isInstanceOf(GuardStateJson.Unreadable.class)
        .hasMessageContaining("not JSON");
    assertThatThrownBy(
            () -> GuardStateJson.read("{\"version\":1,\"inFlight\":{\"phase\":\"SOMETHING\"}}"))
        .isInstanceOf(GuardStateJson.Unreadable.class)
        .hasMessageContaining("invalid field");
  }

  /** A state whose change in flight changes this one setting, as a forged annotation would. */
  static GuardState changing(SettingChange change, Instant appliedAt) {
    return new GuardState(
        Optional.of(
            new GuardState.InFlight(
                "forged",
                GuardState.Phase.ROLLING_BACK,
                Cause.COMPUTE_BOTTLENECK,
                "scale:a1b2",
                List.of(change),
                appliedAt,
                Optional.empty(),
                new Measures(1000, 10),
                Optional.of(appliedAt),
                "forged")),
        List.of(),
        List.of());
  }

  @Test
  void aStateNamingASettingTheOperatorNeverWritesIsRefused() {
    SettingChange serviceAccount =
        SettingChange.config(
            "kubernetes.jobmanager.service-account", Optional.of("cluster-admin"), "flink");
    assertThatThrownBy(() -> GuardStateJson.read(GuardStateJson.write(changing(serviceAccount, T))))
        .isInstanceOf(GuardStateJson.Unreadable.class)
        .hasMessageContaining(
            "names spec.flinkConfiguration.kubernetes.jobmanager.service-account, which the"
                + " operator never changes");
    SettingChange elsewhere =
        new SettingChange(Setting.JOB_PARALLELISM, "spec.serviceAccount", Optional.of("2"), "4");
    assertThatThrownBy(() -> GuardStateJson.read(GuardStateJson.write(changing(elsewhere, T))))
        .isInstanceOf(GuardStateJson.Unreadable.class)
        .hasMessageContaining("never changes");
    for (String key : Setting.OWNED_CONFIGURATION_KEYS) {
      SettingChange owned = SettingChange.config(key, Optional.empty(), "1");
      assertThat(Setting.owns(owned)).as(key).isTrue();
    }
  }

  @Test
  void aTimeTheOperatorCannotHaveWrittenIsRefusedAsItIsRead() {
    SettingChange overrides =
        SettingChange.config("pipeline.jobvertex-parallelism-overrides", Optional.empty(), "a:2");
    for (Instant t : List.of(Instant.parse("+1000000-01-01T00:00:00Z"), Instant.EPOCH)) {
      assertThatThrownBy(() -> GuardStateJson.read(GuardStateJson.write(changing(overrides, t))))
          .isInstanceOf(GuardStateJson.Unreadable.class)
          .hasMessageContaining("is not a time the operator can have written");
    }
  }
}
