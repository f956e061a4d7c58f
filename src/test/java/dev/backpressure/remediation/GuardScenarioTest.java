package dev.backpressure.remediation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.diagnosis.Cause;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.flink.JobFailure;
import dev.backpressure.flink.JobState;
import dev.backpressure.flink.Vertex;
import dev.backpressure.testing.Diagnoses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The guard through whole stories, one pass per step, with time moved by hand. Each story's
 * decisions are compared with a golden file under src/test/resources/golden/ (regenerate with
 * -Dgolden.update=true and review the diff).
 */
class GuardScenarioTest {

  private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
  private static final Vertex MAP = new Vertex("a1b2", "heavy map", 2, 128, "RUNNING");
  private static final SettingChange SCALE =
      SettingChange.config(ParallelismOverrides.KEY, Optional.empty(), "a1b2:8");
  private static final Plan.Change PLAN =
      new Plan.Change(
          Cause.COMPUTE_BOTTLENECK,
          Optional.of(MAP),
          List.of(SCALE),
          List.of(),
          List.of(),
          "scale heavy map from 2 to 8");
  private static final GuardSettings ENFORCE = GuardSettings.DEFAULTS.enforcing();

  /** Plays a story: each step is a moment and what was observed then. */
  private static final class Story {
    private final GuardSettings settings;
    private GuardState state = GuardState.initial();
    private Instant now = T0;
    private String lifecycle = "STABLE";
    private JobState job = JobState.RUNNING;
    private String upgradeMode = "savepoint";
    private boolean autoscaler;
    private boolean dropsOverrides;
    private final Map<String, String> owned = new HashMap<>();
    private final List<JobFailure> failures = new ArrayList<>();
    private final List<String> log = new ArrayList<>();

    Story(GuardSettings settings) {
      this.settings = settings;
    }

    Story at(Duration sinceStart) {
      now = T0.plus(sinceStart);
      return this;
    }

    Story deployment(String lifecycle, JobState job) {
      this.lifecycle = lifecycle;
      this.job = job;
      return this;
    }

    Story upgradeMode(String mode) {
      this.upgradeMode = mode;
      return this;
    }

    Story autoscaler() {
      this.autoscaler = true;
      return this;
    }

    /** Flink starts the job without the spec's parallelism overrides (FLINK-38770). */
    Story dropsOverrides() {
      this.dropsOverrides = true;
      return this;
    }

    /** What Flink runs: the overrides of the spec, unless it drops them. */
    private RunningJob running() {
      int p =
          dropsOverrides
              ? MAP.parallelism()
              : Optional.ofNullable(
                      owned.get(
                          Setting.FLINK_CONFIGURATION.path() + "|" + ParallelismOverrides.KEY))
                  .map(v -> ParallelismOverrides.parse(v).getOrDefault(MAP.id(), MAP.parallelism()))
                  .orElse(MAP.parallelism());
      return new RunningJob(Map.of(MAP.id(), p), Optional.empty(), RunningJob.DEFAULT_SEGMENT);
    }

    Story failure(String stacktrace) {
      failures.add(
          new JobFailure("java.io.IOException", stacktrace, now.toEpochMilli(), "heavy map (1/8)"));
      return this;
    }

    /** Someone (the Flink operator applying our patch, or a person) sets a value. */
    Story value(String key, String v) {
      owned.put(Setting.FLINK_CONFIGURATION.path() + "|" + key, v);
      return this;
    }

    /** One pass with a backpressure diagnosis (and our plan) and these measures. */
    Decision pass(double worstBp, double throughput, boolean backpressured) {
      Optional<Plan> plan =
          backpressured
              ? Optional.of(PLAN)
              : Optional.of(
                  new Plan.NoAction(Cause.HEALTHY, "no sustained backpressure: nothing to change"));
      Decision d =
          Guard.decide(
              now,
              state,
              settings,
              new DeploymentState(
                  Lifecycle.of(lifecycle),
                  job,
                  upgradeMode,
                  autoscaler,
                  false,
                  owned,
                  failures,
                  Optional.of(running())),
              Optional.of(diagnosis(backpressured)),
              plan,
              Optional.of(new Measures(worstBp, throughput)));
      state = d.next();
      // What the act step does with the decision: write the patch.
      for (SettingChange c : d.patch()) {
        if (c.removes()) {
          owned.remove(DeploymentState.key(c));
        } else {
          owned.put(DeploymentState.key(c), c.to());
        }
      }
      log.add(
          Duration.between(T0, now).toMinutes()
              + "m "
              + lifecycle
              + "/"
              + job
              + " bp="
              + (int) worstBp
              + " tp="
              + (int) throughput
              + " -> "
              + d.kind()
              + ": "
              + d.reason()
              + (d.patch().isEmpty()
                  ? ""
                  : " | patch " + d.patch().stream().map(SettingChange::describe).toList())
              + state.inFlight().map(f -> " | in flight: " + f.phase()).orElse(""));
      return d;
    }

    void matchesGolden(String name) throws IOException {
      Path golden = Path.of("src/test/resources/golden/guard-" + name + ".txt");
      String actual = String.join("\n", log) + "\n";
      if (Boolean.getBoolean("golden.update") || !Files.exists(golden)) {
        Files.createDirectories(golden.getParent());
        Files.writeString(golden, actual);
      }
      assertThat(actual).isEqualTo(Files.readString(golden));
    }
  }

  private static Diagnosis diagnosis(boolean backpressured) {
    return backpressured
        ? Diagnoses.of(Cause.COMPUTE_BOTTLENECK).at(T0).bottleneck(MAP).build()
        : Diagnoses.healthy().at(T0).build();
  }

  @Test
  void aChangeThatHelpsIsVerifiedThenCoolsDown() throws Exception {
    Story s = new Story(ENFORCE);
    assertThat(s.pass(1000, 6000, true).kind()).isEqualTo(Decision.Kind.APPLY);
    s.at(Duration.ofMinutes(1)).deployment("UPGRADING", JobState.RUNNING).pass(0, 0, true);
    s.at(Duration.ofMinutes(3)).deployment("STABLE", JobState.RUNNING).pass(200, 20000, false);
    s.at(Duration.ofMinutes(5)).pass(100, 22000, false);
    assertThat(s.at(Duration.ofMinutes(9)).pass(80, 23000, false).kind())
        .isEqualTo(Decision.Kind.VERIFIED);
    assertThat(s.at(Duration.ofMinutes(12)).pass(900, 23000, true).kind())
        .isEqualTo(Decision.Kind.SKIPPED);
    s.matchesGolden("verified");
  }

  @Test
  void aChangeThatDoesNotHelpIsRolledBackAndBarred() throws Exception {
    Story s = new Story(ENFORCE);
    s.pass(1000, 6000, true);
    s.at(Duration.ofMinutes(2)).deployment("STABLE", JobState.RUNNING).pass(1000, 6100, true);
    Decision back = s.at(Duration.ofMinutes(8)).pass(990, 6050, true);
    assertThat(back.kind()).isEqualTo(Decision.Kind.ROLL_BACK);
    assertThat(back.patch()).singleElement().satisfies(c -> assertThat(c.removes()).isTrue());
    s.at(Duration.ofMinutes(9)).deployment("UPGRADING", JobState.RUNNING).pass(0, 0, true);
    assertThat(
            s.at(Duration.ofMinutes(11))
                .deployment("STABLE", JobState.RUNNING)
                .pass(1000, 6000, true)
                .kind())
        .isEqualTo(Decision.Kind.ROLLED_BACK);
    Decision again = s.at(Duration.ofMinutes(40)).pass(1000, 6000, true);
    assertThat(again.kind()).isEqualTo(Decision.Kind.SKIPPED);
    assertThat(again.reason()).contains("barred");
    s.matchesGolden("rolled-back");
  }

  @Test
  void aChangeFlinkDoesNotRunIsRestoredWithoutAVerdict() throws Exception {
    // FLINK-38770: the Flink operator reports the new spec rolled out, but Flink 2.x started the
    // job
    // without the parallelism overrides. Judging the numbers would call the remedy useless.
    Story s = new Story(ENFORCE).dropsOverrides();
    s.pass(1000, 6000, true);
    s.at(Duration.ofMinutes(1)).deployment("UPGRADING", JobState.RUNNING).pass(0, 0, true);
    // Not yet a verdict: an in-place rescale may still be going on when the Flink operator reports
    // the spec stable, so the guard waits for Flink to run it, up to the stabilization timeout.
    Decision notYet =
        s.at(Duration.ofMinutes(2)).deployment("STABLE", JobState.RUNNING).pass(1000, 6000, true);
    assertThat(notYet.kind()).isEqualTo(Decision.Kind.WAITING);
    assertThat(notYet.next().inFlight().orElseThrow().phase()).isEqualTo(GuardState.Phase.APPLIED);
    Decision d = s.at(Duration.ofMinutes(11)).pass(1000, 6000, true);
    assertThat(d.kind()).isEqualTo(Decision.Kind.NOT_TAKEN);
    assertThat(d.reason()).contains("vertex a1b2 runs at parallelism 2, not 8");
    assertThat(d.patch()).singleElement().satisfies(c -> assertThat(c.removes()).isTrue());
    s.at(Duration.ofMinutes(12)).deployment("UPGRADING", JobState.RUNNING).pass(0, 0, true);
    Decision restored =
        s.at(Duration.ofMinutes(14)).deployment("STABLE", JobState.RUNNING).pass(1000, 6000, true);
    assertThat(restored.kind()).isEqualTo(Decision.Kind.RESTORED);
    assertThat(restored.next().history())
        .singleElement()
        .satisfies(p -> assertThat(p.outcome()).isEqualTo(GuardState.Outcome.NOT_TAKEN));
    Decision again = s.at(Duration.ofMinutes(40)).pass(1000, 6000, true);
    assertThat(again.kind()).isEqualTo(Decision.Kind.SKIPPED);
    assertThat(again.reason()).startsWith("Flink did not run the last change of this kind");
    s.matchesGolden("not-taken");

    // Flink ignored the overrides, not one vertex's: scaling another vertex by them waits too.
    Vertex other = new Vertex("c3d4", "other map", 2, 128, "RUNNING");
    Plan.Change scaleOther =
        new Plan.Change(
            Cause.COMPUTE_BOTTLENECK,
            Optional.of(other),
            List.of(SettingChange.config(ParallelismOverrides.KEY, Optional.empty(), "c3d4:4")),
            List.of(),
            List.of(),
            "scale other map from 2 to 4");
    assertThat(
            Guard.holdBack(
                T0.plus(Duration.ofMinutes(40)),
                s.state,
                ENFORCE,
                new DeploymentState(
                    Lifecycle.STABLE,
                    JobState.RUNNING,
                    "savepoint",
                    false,
                    false,
                    Map.of(),
                    List.of(),
                    Optional.empty()),
                scaleOther,
                Optional.of(new Measures(1000, 6000)),
                false))
        .hasValueSatisfying(
            r -> {
              assertThat(r.hold()).isEqualTo(Decision.Hold.NOT_RUN_LAST_TIME);
              assertThat(r.reason()).startsWith("Flink did not run the last change of this kind");
            });
  }

  @Test
  void aChangeThatBreaksTheJobIsRolledBackAtOnce() throws Exception {
    Story s = new Story(ENFORCE);
    s.pass(1000, 6000, true);
    Decision d =
        s.at(Duration.ofMinutes(1))
            .deployment("DEPLOYED", JobState.RESTARTING)
            .failure(
                "java.io.IOException: Insufficient number of network buffers: required 17, but only 3 available.")
            .pass(0, 0, true);
    assertThat(d.kind()).isEqualTo(Decision.Kind.ROLL_BACK);
    s.matchesGolden("broken");
  }

  @Test
  void aChangeThatNeverStabilizesIsRolledBackAfterTheTimeout() throws Exception {
    Story s = new Story(ENFORCE);
    s.pass(1000, 6000, true);
    s.at(Duration.ofMinutes(5)).deployment("UPGRADING", JobState.CREATED).pass(0, 0, true);
    assertThat(s.at(Duration.ofMinutes(11)).pass(0, 0, true).kind())
        .isEqualTo(Decision.Kind.ROLL_BACK);
    s.matchesGolden("timeout");
  }

  @Test
  void someoneElsesEditStopsTheGuardWithoutARollback() throws Exception {
    Story s = new Story(ENFORCE);
    s.pass(1000, 6000, true);
    s.at(Duration.ofMinutes(2)).value(ParallelismOverrides.KEY, "a1b2:4");
    Decision d = s.pass(1000, 6000, true);
    assertThat(d.kind()).isEqualTo(Decision.Kind.CONFLICT);
    assertThat(d.patch()).isEmpty();
    s.matchesGolden("conflict");
  }

  @Test
  void preconditionsHoldAPlanBack() throws Exception {
    Story dry = new Story(GuardSettings.DEFAULTS);
    assertThat(dry.pass(1000, 6000, true).kind()).isEqualTo(Decision.Kind.PLANNED);
    Story stateless = new Story(ENFORCE).upgradeMode("stateless");
    assertThat(stateless.pass(1000, 6000, true).reason()).contains("stateless");
    Story autoscaled = new Story(ENFORCE).autoscaler();
    assertThat(autoscaled.pass(1000, 6000, true).reason()).contains("autoscaler");
    Story upgrading = new Story(ENFORCE).deployment("UPGRADING", JobState.RUNNING);
    assertThat(upgrading.pass(1000, 6000, true).kind()).isEqualTo(Decision.Kind.SKIPPED);
    Story window =
        new Story(
            new GuardSettings(
                true,
                Duration.ofMinutes(15),
                3,
                Duration.ofMinutes(10),
                Duration.ofMinutes(5),
                0.2,
                0.05,
                false,
                Duration.ofHours(6),
                List.of(GuardSettings.Window.parse("09:30-11:00"))));
    assertThat(window.pass(1000, 6000, true).reason()).contains("excluded window");
  }
}
