package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.api.DeploymentPhase;
import dev.backpressure.api.DeploymentReport;
import dev.backpressure.api.RemediationPolicyStatus;
import dev.backpressure.diagnosis.Cause;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.flink.Vertex;
import dev.backpressure.remediation.Decision;
import dev.backpressure.remediation.GuardState;
import dev.backpressure.remediation.Measures;
import dev.backpressure.remediation.Plan;
import dev.backpressure.remediation.SettingChange;
import dev.backpressure.testing.Diagnoses;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PolicyReportTest {

  private static final Instant T0 = Instant.parse("2026-01-05T10:00:00Z");
  private static final Vertex MAP = new Vertex("a1b2", "heavy map", 2, 128, "RUNNING");
  private static final SettingChange SCALE =
      SettingChange.config("pipeline.jobvertex-parallelism-overrides", Optional.empty(), "a1b2:4");
  private static final Plan.Change PLAN =
      new Plan.Change(
          Cause.COMPUTE_BOTTLENECK,
          Optional.of(MAP),
          List.of(SCALE),
          List.of(),
          List.of(),
          "scale heavy map from 2 to 4");
  private static final Optional<Diagnosis> SUSTAINED =
      Optional.of(Diagnoses.of(Cause.COMPUTE_BOTTLENECK).bottleneck(MAP).build());
  private static final Optional<Diagnosis> HEALTHY = Optional.of(Diagnoses.healthy().build());

  static Stream<Arguments> phases() {
    return Stream.of(
        Arguments.of(Decision.Kind.NOTHING, null, Optional.empty(), DeploymentPhase.Unreadable),
        Arguments.of(Decision.Kind.NOTHING, null, HEALTHY, DeploymentPhase.Healthy),
        Arguments.of(Decision.Kind.NOTHING, null, SUSTAINED, DeploymentPhase.Backpressured),
        Arguments.of(Decision.Kind.PLANNED, null, SUSTAINED, DeploymentPhase.Planned),
        Arguments.of(Decision.Kind.ADVICE, null, SUSTAINED, DeploymentPhase.Advised),
        Arguments.of(Decision.Kind.SKIPPED, null, SUSTAINED, DeploymentPhase.Held),
        Arguments.of(Decision.Kind.APPLY, null, SUSTAINED, DeploymentPhase.Remediating),
        Arguments.of(
            Decision.Kind.WAITING,
            GuardState.Phase.APPLIED,
            Optional.empty(),
            DeploymentPhase.Remediating),
        Arguments.of(
            Decision.Kind.WAITING,
            GuardState.Phase.VERIFYING,
            SUSTAINED,
            DeploymentPhase.Verifying),
        Arguments.of(
            Decision.Kind.WAITING,
            GuardState.Phase.ROLLING_BACK,
            HEALTHY,
            DeploymentPhase.RollingBack),
        Arguments.of(
            Decision.Kind.WAITING, GuardState.Phase.RESTORING, HEALTHY, DeploymentPhase.Restoring),
        Arguments.of(Decision.Kind.VERIFIED, null, HEALTHY, DeploymentPhase.Verified),
        Arguments.of(Decision.Kind.ROLL_BACK, null, SUSTAINED, DeploymentPhase.RollingBack),
        Arguments.of(Decision.Kind.NOT_TAKEN, null, SUSTAINED, DeploymentPhase.Restoring),
        Arguments.of(Decision.Kind.ROLLED_BACK, null, HEALTHY, DeploymentPhase.RolledBack),
        Arguments.of(Decision.Kind.RESTORED, null, HEALTHY, DeploymentPhase.Restored),
        Arguments.of(Decision.Kind.CONFLICT, null, SUSTAINED, DeploymentPhase.Conflict));
  }

  @ParameterizedTest(name = "{0} {1} {2} → {3}")
  @MethodSource("phases")
  void eachDecisionHasOnePhase(
      Decision.Kind kind,
      GuardState.Phase inFlight,
      Optional<Diagnosis> diagnosis,
      DeploymentPhase expected) {
    GuardState next = inFlight == null ? GuardState.initial() : withInFlight(inFlight);
    Decision d = new Decision(kind, "why", List.of(), next, Optional.empty());
    assertThat(PolicyReport.phase(d, diagnosis)).isEqualTo(expected);
  }

  @Test
  void everyPhaseIsReachable() {
    List<DeploymentPhase> reached =
        phases().map(a -> (DeploymentPhase) a.get()[3]).distinct().toList();
    assertThat(reached).containsExactlyInAnyOrder(DeploymentPhase.values());
  }

  @Test
  void aPlannedChangeIsReportedWithTheValuesItWouldWriteAndNoTime() {
    Decision planned =
        new Decision(
            Decision.Kind.PLANNED,
            "dry run: would scale",
            List.of(),
            GuardState.initial(),
            Optional.of(PLAN));
    DeploymentReport.Change c =
        PolicyReport.change(planned, GuardState.initial(), T0).orElseThrow();
    assertThat(c.summary).isEqualTo("scale heavy map from 2 to 4");
    assertThat(c.changes).containsExactly(SCALE.describe());
    assertThat(c.appliedAt).isNull();
    assertThat(c.outcome).isEqualTo("PLANNED");
  }

  @Test
  void aVerdictOnAChangeInFlightReportsThatChangeNotTheRestorePatch() {
    GuardState before = withInFlight(GuardState.Phase.VERIFYING);
    SettingChange restore = SettingChange.config(SCALE.key(), Optional.of("a1b2:4"), null);
    Decision rollBack =
        new Decision(
            Decision.Kind.ROLL_BACK,
            "throughput fell",
            List.of(restore),
            GuardState.initial(),
            Optional.empty());
    DeploymentReport.Change c =
        PolicyReport.change(rollBack, before, T0.plusSeconds(600)).orElseThrow();
    assertThat(c.changes).containsExactly(SCALE.describe());
    assertThat(c.appliedAt).isEqualTo(T0.toString());
    assertThat(c.summary).isEqualTo("scale heavy map from 2 to 4");
    assertThat(c.outcome).isEqualTo("ROLL_BACK");
    assertThat(c.reason).isEqualTo("throughput fell");
  }

  @Test
  void decisionsAboutNoChangeReportNone() {
    for (Decision.Kind kind :
        List.of(
            Decision.Kind.NOTHING,
            Decision.Kind.ADVICE,
            Decision.Kind.SKIPPED,
            Decision.Kind.WAITING)) {
      Decision d = new Decision(kind, "why", List.of(), GuardState.initial(), Optional.of(PLAN));
      assertThat(PolicyReport.change(d, GuardState.initial(), T0)).as(kind.name()).isEmpty();
    }
  }

  @Test
  void conditionsCountWhatThePassFound() {
    RemediationPolicyStatus status =
        PolicyReport.of(
            List.of(
                entry("orders", false, false, true, true),
                entry("payments", true, false, false, false),
                entry("clicks", false, true, false, false)),
            7,
            "30s",
            true);
    Map<String, Condition> c = byType(status.conditions);
    assertThat(status.observedGeneration).isEqualTo(7);
    assertThat(status.deploymentsGoverned).isEqualTo(3);
    assertThat(status.backpressured).isEqualTo(1);
    assertThat(status.remediating).isEqualTo(1);
    assertThat(c.get("Ready").getStatus()).isEqualTo("False");
    assertThat(c.get("Ready").getReason()).isEqualTo("OverlappingPolicies");
    assertThat(c.get("Ready").getMessage()).endsWith("left alone: payments");
    assertThat(c.get("Backpressured").getMessage()).isEqualTo("1 of 3 deployment(s) backpressured");
    assertThat(c.get("Remediating").getReason()).isEqualTo("ChangeInFlight");
    assertThat(c.get("Degraded").getStatus()).isEqualTo("True");
    assertThat(c.get("Degraded").getMessage()).endsWith("for: clicks");
    assertThat(c.values()).allMatch(x -> x.getObservedGeneration() == 7);
  }

  @Test
  void aQuietPassIsReadyAndSaysHowItWatches() {
    Map<String, Condition> none = byType(PolicyReport.of(List.of(), 1, "30s", false).conditions);
    assertThat(none.get("Ready").getReason()).isEqualTo("NoDeploymentsSelected");
    Map<String, Condition> one =
        byType(
            PolicyReport.of(List.of(entry("orders", false, false, false, false)), 1, "30s", false)
                .conditions);
    assertThat(one.get("Ready").getStatus()).isEqualTo("True");
    assertThat(one.get("Ready").getMessage())
        .isEqualTo("watching 1 FlinkDeployment(s) every 30s, dry run");
    assertThat(one.get("Backpressured").getStatus()).isEqualTo("False");
    assertThat(one.get("Degraded").getReason()).isEqualTo("AllReadable");
  }

  @Test
  void anInvalidPolicyKeepsWhatItKnewOfEachDeployment() {
    RemediationPolicyStatus before = new RemediationPolicyStatus();
    DeploymentReport kept = new DeploymentReport();
    kept.name = "orders";
    kept.guardState = "{\"version\":1}";
    before.deployments.add(kept);
    RemediationPolicyStatus status =
        PolicyReport.invalid(new PreviousStatus(before), "bad selector", 3);
    assertThat(status.deployments).containsExactly(kept);
    assertThat(status.conditions)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getReason()).isEqualTo("InvalidSpec");
              assertThat(c.getMessage()).isEqualTo("bad selector");
            });
  }

  @Test
  void theStatusShowsTheDiagnosisRoundedWithAtMostEightFacts() {
    Diagnoses b = Diagnoses.of(Cause.COMPUTE_BOTTLENECK).bottleneck(MAP).confidence(0.8349);
    for (int i = 0; i < 10; i++) {
      b.evidence(new dev.backpressure.diagnosis.Evidence.Observed("heavy map", "fact " + i));
    }
    DeploymentReport.Diagnosis r = PolicyReport.diagnosis(b.build());
    assertThat(r.cause).isEqualTo("COMPUTE_BOTTLENECK");
    assertThat(r.vertex).isEqualTo("heavy map");
    assertThat(r.confidence).isEqualTo(0.83);
    assertThat(r.evidence).hasSize(8).first().isEqualTo("heavy map: fact 0");
  }

  private static PolicyReport.Entry entry(
      String name,
      boolean overlapping,
      boolean unreadable,
      boolean backpressured,
      boolean inFlight) {
    DeploymentReport r = new DeploymentReport();
    r.name = name;
    return new PolicyReport.Entry(r, overlapping, unreadable, backpressured, inFlight);
  }

  private static Map<String, Condition> byType(List<Condition> conditions) {
    return conditions.stream().collect(Collectors.toMap(Condition::getType, Function.identity()));
  }

  private static GuardState withInFlight(GuardState.Phase phase) {
    return new GuardState(Optional.of(inFlight(phase)), List.of(), List.of());
  }

  private static GuardState.InFlight inFlight(GuardState.Phase phase) {
    return new GuardState.InFlight(
        "change-1",
        phase,
        Cause.COMPUTE_BOTTLENECK,
        "scale:a1b2",
        List.of(SCALE),
        T0,
        Optional.empty(),
        new Measures(1000, 600, true),
        Optional.empty(),
        "scale heavy map from 2 to 4");
  }
}
