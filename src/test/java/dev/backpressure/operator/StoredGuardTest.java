package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.diagnosis.Cause;
import dev.backpressure.remediation.GuardState;
import dev.backpressure.remediation.Measures;
import dev.backpressure.remediation.SettingChange;
import dev.backpressure.state.GuardStateJson;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Which guard record a pass uses, from the annotation (tenants may edit it) and the copy in the
 * policy status (they cannot): one row per way an annotation can differ from the copy.
 */
class StoredGuardTest {

  private static final Instant NOW = Instant.parse("2026-01-05T10:00:00Z");
  private static final SettingChange SCALE =
      SettingChange.config("pipeline.jobvertex-parallelism-overrides", Optional.empty(), "a1b2:4");

  private static final GuardState.PastChange EARLIER =
      new GuardState.PastChange(
          "change-1",
          Cause.COMPUTE_BOTTLENECK,
          "scale:a1b2",
          NOW.minus(Duration.ofHours(3)),
          NOW.minus(Duration.ofHours(2)),
          GuardState.Outcome.ROLLED_BACK,
          "throughput fell");
  private static final GuardState.Bar BAR =
      new GuardState.Bar(
          "COMPUTE_BOTTLENECK/scale:a1b2", NOW.plus(Duration.ofHours(20)), "throughput fell");
  private static final GuardState RECORD =
      new GuardState(Optional.empty(), List.of(EARLIER), List.of(BAR));
  private static final GuardState.InFlight CHANGE = inFlight("change-2", NOW.minusSeconds(600));
  private static final GuardState RECORD_IN_FLIGHT =
      new GuardState(Optional.of(CHANGE), List.of(EARLIER), List.of(BAR));

  /** The annotation's value, the copy's, the state used, and whether each remark is made. */
  static Stream<Arguments> rows() {
    GuardState later =
        new GuardState(Optional.empty(), List.of(EARLIER, ended(CHANGE)), List.of(BAR));
    return Stream.of(
        row("nothing anywhere", null, null, GuardState.initial(), false, false),
        row("annotation removed", null, RECORD, RECORD, true, false),
        row(
            "annotation removed, copy empty",
            null,
            GuardState.initial(),
            GuardState.initial(),
            false,
            false),
        row("not JSON, no copy", "{oops", null, GuardState.initial(), true, false),
        row("not JSON, copy", "{oops", RECORD, RECORD, true, false),
        row(
            "another version, no copy",
            otherVersion(RECORD),
            null,
            GuardState.initial(),
            false,
            true),
        row("another version, copy", otherVersion(RECORD), RECORD, RECORD, true, false),
        row("the same as the copy", write(RECORD), RECORD, RECORD, false, false),
        row("no copy yet", write(RECORD), null, RECORD, false, false),
        row("the copy's change ended since", write(later), RECORD_IN_FLIGHT, later, false, false),
        row(
            "a past change dropped",
            write(new GuardState(Optional.empty(), List.of(), List.of(BAR))),
            RECORD,
            RECORD,
            true,
            false),
        row(
            "a past change altered",
            write(new GuardState(Optional.empty(), List.of(withOutcome(EARLIER)), List.of(BAR))),
            RECORD,
            RECORD,
            true,
            false),
        row(
            "a bar shortened",
            write(
                new GuardState(
                    Optional.empty(), List.of(EARLIER), List.of(until(BAR, NOW.plusSeconds(60))))),
            RECORD,
            RECORD,
            true,
            false),
        row(
            "a bar lengthened",
            write(
                new GuardState(
                    Optional.empty(),
                    List.of(EARLIER),
                    List.of(until(BAR, NOW.plus(Duration.ofDays(3)))))),
            RECORD,
            new GuardState(
                Optional.empty(),
                List.of(EARLIER),
                List.of(until(BAR, NOW.plus(Duration.ofDays(3))))),
            false,
            false),
        row(
            "the change in flight dropped",
            write(RECORD),
            RECORD_IN_FLIGHT,
            RECORD_IN_FLIGHT,
            true,
            false),
        row(
            "the change in flight moved back in time",
            write(
                new GuardState(
                    Optional.of(inFlight("change-2", NOW.minus(Duration.ofHours(2)))),
                    List.of(EARLIER),
                    List.of(BAR))),
            RECORD_IN_FLIGHT,
            RECORD_IN_FLIGHT,
            true,
            false),
        row(
            "a change in flight over a day old in the copy",
            write(RECORD),
            new GuardState(
                Optional.of(inFlight("change-0", NOW.minus(Duration.ofDays(2)))),
                List.of(),
                List.of()),
            RECORD,
            false,
            false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void theRecordUsedIsTheCopyUnlessTheAnnotationHoldsAllOfIt(
      String row,
      String annotation,
      GuardState copy,
      GuardState used,
      boolean replaced,
      boolean foreign)
      throws Exception {
    Map<String, String> annotations = new HashMap<>();
    if (annotation != null) {
      annotations.put(FlinkDeployments.GUARD_ANNOTATION, annotation);
    }
    FlinkDeploymentDocument fd =
        FlinkDeploymentDocument.read(
            new GenericKubernetesResourceBuilder()
                .withApiVersion(FlinkDeploymentDocument.API_VERSION)
                .withKind(FlinkDeploymentDocument.KIND)
                .withNewMetadata()
                .withName("orders")
                .withNamespace("team")
                .withAnnotations(annotations)
                .endMetadata()
                .build());
    StoredGuard stored =
        StoredGuard.of(fd, Optional.ofNullable(copy).map(GuardStateJson::write), NOW);
    assertThat(stored.state()).isEqualTo(used);
    assertThat(stored.replaced().isPresent())
        .as("replaced " + stored.replaced())
        .isEqualTo(replaced);
    assertThat(stored.foreign().isPresent()).as("foreign " + stored.foreign()).isEqualTo(foreign);
    assertThat(stored.text()).isEqualTo(Optional.ofNullable(annotation));
  }

  private static Arguments row(
      String name,
      String annotation,
      GuardState copy,
      GuardState used,
      boolean replaced,
      boolean foreign) {
    return Arguments.of(name, annotation, copy, used, replaced, foreign);
  }

  private static String write(GuardState state) {
    return GuardStateJson.write(state);
  }

  private static String otherVersion(GuardState state) {
    String text = write(state);
    assertThat(text).contains("\"version\":1");
    return text.replace("\"version\":1", "\"version\":2");
  }

  private static GuardState.InFlight inFlight(String id, Instant appliedAt) {
    return new GuardState.InFlight(
        id,
        GuardState.Phase.APPLIED,
        Cause.COMPUTE_BOTTLENECK,
        "scale:a1b2",
        List.of(SCALE),
        appliedAt,
        Optional.empty(),
        new Measures(1000, 600, true),
        Optional.empty(),
        "scale heavy map from 2 to 4");
  }

  private static GuardState.PastChange ended(GuardState.InFlight f) {
    return new GuardState.PastChange(
        f.id(),
        f.cause(),
        f.remedy(),
        f.appliedAt(),
        NOW.minusSeconds(60),
        GuardState.Outcome.VERIFIED,
        "throughput rose");
  }

  private static GuardState.PastChange withOutcome(GuardState.PastChange p) {
    return new GuardState.PastChange(
        p.id(),
        p.cause(),
        p.remedy(),
        p.appliedAt(),
        p.endedAt(),
        GuardState.Outcome.VERIFIED,
        p.reason());
  }

  private static GuardState.Bar until(GuardState.Bar b, Instant until) {
    return new GuardState.Bar(b.key(), until, b.reason(), b.outcome());
  }
}
