package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.diagnosis.Cause;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Evidence;
import dev.backpressure.flink.Vertex;
import dev.backpressure.remediation.Decision;
import dev.backpressure.remediation.GuardState;
import dev.backpressure.remediation.Plan;
import dev.backpressure.remediation.SettingChange;
import dev.backpressure.testing.Diagnoses;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DecisionEventsTest {

  private static final Vertex MAP = new Vertex("a1b2", "heavy map", 2, 128, "RUNNING");
  private static final SettingChange SCALE =
      SettingChange.config("pipeline.jobvertex-parallelism-overrides", Optional.empty(), "a1b2:4");

  static Stream<Arguments> events() {
    return Stream.of(
        Arguments.of(Decision.Kind.NOTHING, null, null, false),
        Arguments.of(Decision.Kind.WAITING, null, null, false),
        Arguments.of(Decision.Kind.PLANNED, null, EventReason.ChangePlanned, true),
        Arguments.of(Decision.Kind.ADVICE, null, EventReason.AdviceOnly, false),
        Arguments.of(
            Decision.Kind.SKIPPED, Decision.Hold.COOLING_DOWN, EventReason.ChangeSkipped, false),
        Arguments.of(
            Decision.Kind.SKIPPED,
            Decision.Hold.AUTOSCALER_OWNS_PARALLELISM,
            EventReason.AutoscalerOwnsParallelism,
            false),
        Arguments.of(
            Decision.Kind.SKIPPED,
            Decision.Hold.AUTOSCALER_OWNS_MEMORY,
            EventReason.AutoscalerOwnsParallelism,
            false),
        Arguments.of(Decision.Kind.APPLY, null, EventReason.ChangeApplied, true),
        Arguments.of(Decision.Kind.VERIFIED, null, EventReason.ChangeVerified, true),
        Arguments.of(Decision.Kind.ROLL_BACK, null, EventReason.ChangeRolledBack, true),
        Arguments.of(Decision.Kind.NOT_TAKEN, null, EventReason.ChangeNotTaken, true),
        Arguments.of(Decision.Kind.ROLLED_BACK, null, EventReason.RollbackCompleted, false),
        Arguments.of(Decision.Kind.RESTORED, null, EventReason.RestoreCompleted, false),
        Arguments.of(Decision.Kind.CONFLICT, null, EventReason.ConflictingEdit, true));
  }

  @ParameterizedTest(name = "{0} {1} → {2}")
  @MethodSource("events")
  void eachDecisionGivesItsEvent(
      Decision.Kind kind, Decision.Hold hold, EventReason expected, boolean onPolicyToo) {
    Decision d =
        new Decision(
            kind,
            // The wording never picks the reason: an autoscaler named in any hold's words is not
            // an autoscaler hold.
            "Flink's autoscaler is mentioned here",
            List.of(),
            GuardState.initial(),
            Optional.empty(),
            Optional.ofNullable(hold));
    List<DecisionEvents.Notice> notices = DecisionEvents.of(d, Optional.empty());
    if (expected == null) {
      assertThat(notices).isEmpty();
    } else {
      assertThat(notices)
          .singleElement()
          .satisfies(
              n -> {
                assertThat(n.reason()).isEqualTo(expected);
                assertThat(n.onPolicyToo()).isEqualTo(onPolicyToo);
                assertThat(n.message()).startsWith("Flink's autoscaler is mentioned here");
              });
    }
  }

  @Test
  void aChangeNamesEveryValueItWritesOrRestores() {
    Decision apply =
        new Decision(
            Decision.Kind.APPLY,
            "scale heavy map",
            List.of(SCALE),
            GuardState.initial(),
            Optional.empty());
    assertThat(DecisionEvents.of(apply, Optional.empty()))
        .singleElement()
        .extracting(DecisionEvents.Notice::message)
        .isEqualTo("scale heavy map: pipeline.jobvertex-parallelism-overrides: (unset) → a1b2:4");
    Decision rollBack =
        new Decision(
            Decision.Kind.ROLL_BACK,
            "throughput fell",
            List.of(SettingChange.config(SCALE.key(), Optional.of("a1b2:4"), null)),
            GuardState.initial(),
            Optional.empty());
    assertThat(DecisionEvents.of(rollBack, Optional.empty()))
        .singleElement()
        .extracting(DecisionEvents.Notice::message)
        .isEqualTo(
            "throughput fell; restoring pipeline.jobvertex-parallelism-overrides: a1b2:4 →"
                + " (unset)");
  }

  @Test
  void aDryRunSaysWhatItWouldWriteAndAdviceWhatToDo() {
    Plan.Change change =
        new Plan.Change(
            Cause.COMPUTE_BOTTLENECK,
            Optional.of(MAP),
            List.of(SCALE),
            List.of(),
            List.of(),
            "scale");
    Decision planned =
        new Decision(
            Decision.Kind.PLANNED,
            "dry run: would scale",
            List.of(),
            GuardState.initial(),
            Optional.of(change));
    assertThat(DecisionEvents.of(planned, Optional.empty()).get(0).message())
        .isEqualTo(
            "dry run: would scale: pipeline.jobvertex-parallelism-overrides: (unset) → a1b2:4");
    Plan.Advice advice =
        new Plan.Advice(
            Cause.DATA_SKEW,
            Optional.of(MAP),
            "spread the hot key",
            List.of("salt the key", "pre-aggregate"),
            List.of());
    Decision advised =
        new Decision(
            Decision.Kind.ADVICE,
            "no setting fixes skew",
            List.of(),
            GuardState.initial(),
            Optional.of(advice));
    assertThat(DecisionEvents.of(advised, Optional.empty()).get(0).message())
        .isEqualTo("no setting fixes skew: salt the key; pre-aggregate");
  }

  @Test
  void onlyASustainedDiagnosisIsAnnouncedWithItsFirstFourFacts() {
    Diagnoses sustained = Diagnoses.of(Cause.COMPUTE_BOTTLENECK).bottleneck(MAP).confidence(0.9);
    for (int i = 0; i < 6; i++) {
      sustained.evidence(new Evidence.Observed("heavy map", "fact " + i));
    }
    Decision nothing =
        new Decision(
            Decision.Kind.NOTHING, "no plan", List.of(), GuardState.initial(), Optional.empty());
    List<DecisionEvents.Notice> notices =
        DecisionEvents.of(nothing, Optional.of(sustained.build()));
    assertThat(notices)
        .singleElement()
        .satisfies(
            n -> {
              assertThat(n.reason()).isEqualTo(EventReason.BackpressureDiagnosed);
              assertThat(n.message())
                  .startsWith(
                      Cause.COMPUTE_BOTTLENECK.title() + " at 'heavy map' (confidence 0.90): ")
                  .contains("fact 3")
                  .doesNotContain("fact 4");
            });
    Diagnosis brief = Diagnoses.of(Cause.COMPUTE_BOTTLENECK).bottleneck(MAP).notSustained().build();
    assertThat(DecisionEvents.of(nothing, Optional.of(brief))).isEmpty();
  }
}
