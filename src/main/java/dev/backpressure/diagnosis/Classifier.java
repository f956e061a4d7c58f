package dev.backpressure.diagnosis;

import dev.backpressure.flink.FlameGraph;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.SnapshotWindow;
import dev.backpressure.flink.Vertex;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a window of snapshots into one {@link Diagnosis}: each snapshot is read on its own by
 * {@link SnapshotRules}, then the window decides whether the backpressure is sustained and which
 * (cause, vertex) the backpressured snapshots agree on. Pure: no clock, no I/O.
 */
public final class Classifier {

  private Classifier() {}

  /**
   * How far back a rate (CPU cores in use) is taken. Flink refreshes a TaskManager's CPU time every
   * second or two, so between snapshots a second apart it reads 0 cores, then twice the truth: a
   * compute bottleneck looked like blocking I/O in every other snapshot.
   */
  static final Duration MIN_RATE_SPAN = Duration.ofSeconds(5);

  /** The latest earlier snapshot at least {@link #MIN_RATE_SPAN} older, else the earliest. */
  private static Optional<JobSnapshot> rateBase(List<JobSnapshot> snapshots, int i) {
    if (i == 0) {
      return Optional.empty();
    }
    Instant now = snapshots.get(i).takenAt();
    for (int j = i - 1; j >= 0; j--) {
      if (Duration.between(snapshots.get(j).takenAt(), now).compareTo(MIN_RATE_SPAN) >= 0) {
        return Optional.of(snapshots.get(j));
      }
    }
    return Optional.of(snapshots.get(0));
  }

  public static Diagnosis classify(SnapshotWindow window, Thresholds t) {
    if (window.isEmpty()) {
      throw new IllegalArgumentException("cannot classify an empty window");
    }
    List<JobSnapshot> snapshots = window.snapshots();
    // A flame graph takes a while to sample and then describes its vertex for a while: the newest
    // one of each vertex informs every snapshot of the window, so that early snapshots do not
    // outvote it merely for lacking one.
    Map<String, FlameGraph> flames = new HashMap<>();
    snapshots.forEach(s -> flames.putAll(s.flameGraphs()));
    List<Finding> findings = new ArrayList<>();
    for (int i = 0; i < snapshots.size(); i++) {
      Optional<JobSnapshot> previous = rateBase(snapshots, i);
      findings.add(SnapshotRules.classify(previous, snapshots.get(i), flames, t));
    }
    JobSnapshot latest = snapshots.get(snapshots.size() - 1);
    Finding last = findings.get(findings.size() - 1);

    List<Instant> pressuredAt = new ArrayList<>();
    Map<String, List<Finding>> votes = new LinkedHashMap<>();
    for (int i = 0; i < findings.size(); i++) {
      Finding f = findings.get(i);
      if (f.backpressured()) {
        pressuredAt.add(snapshots.get(i).takenAt());
        votes.computeIfAbsent(key(f), k -> new ArrayList<>()).add(f);
      }
    }
    Duration span =
        pressuredAt.isEmpty()
            ? Duration.ZERO
            : Duration.between(pressuredAt.get(0), pressuredAt.get(pressuredAt.size() - 1));
    int n = findings.size();
    int hits = pressuredAt.size();
    boolean sustained = last.backpressured() && sustainedSince(snapshots, findings, t);
    Symptom symptom =
        new Symptom(
            last.backpressured(),
            sustained,
            hits,
            n,
            span,
            last.worstVertex().map(Vertex::name).orElse(""),
            last.worstBackPressured());

    if (!last.backpressured()) {
      List<String> notes = new ArrayList<>(last.notes());
      if (hits > 0) {
        notes.add(
            "backpressure seen in "
                + hits
                + " of "
                + n
                + " snapshots, not in the latest:"
                + " transient");
      }
      Cause cause = last.cause() == Cause.UNKNOWN ? Cause.UNKNOWN : Cause.HEALTHY;
      return diagnosis(latest, symptom, cause, Optional.empty(), last.confidence(), last, notes);
    }

    // The (cause, vertex) most of the backpressured snapshots agree on; ties go to the latest.
    List<Finding> winner = votes.get(key(last));
    for (List<Finding> candidate : votes.values()) {
      if (candidate.size() > winner.size()) {
        winner = candidate;
      }
    }
    Finding decisive = winner.get(winner.size() - 1);
    double agreement = (double) winner.size() / hits;
    List<String> notes = new ArrayList<>(decisive.notes());
    if (!sustained) {
      notes.add(
          "backpressured in "
              + hits
              + " of "
              + n
              + " snapshots over "
              + Durations.format(span)
              + "; sustained needs "
              + t.sustainSamples()
              + " snapshots, "
              + Math.round(t.sustainRatio() * 100)
              + "% of those since it began and "
              + Durations.format(t.sustainDuration()));
    }
    if (agreement < 1) {
      notes.add(winner.size() + " of " + hits + " backpressured snapshots agree on this cause");
    }
    return diagnosis(
        latest,
        symptom,
        decisive.cause(),
        decisive.bottleneck(),
        decisive.confidence() * agreement,
        decisive,
        notes);
  }

  /**
   * Whether some stretch of the window up to the latest snapshot, starting at a backpressured one,
   * holds backpressure for long enough: at least {@code sustainSamples} backpressured snapshots,
   * {@code sustainRatio} of the stretch's, spanning {@code sustainDuration}. The share is taken
   * from where the backpressure began, not over the whole window: a job that ran healthy for the
   * window's first half and has been backpressured since is backpressured for that long, and
   * waiting for it to fill the window would only delay the verdict.
   */
  static boolean sustainedSince(List<JobSnapshot> snapshots, List<Finding> findings, Thresholds t) {
    int n = findings.size();
    Instant latest = snapshots.get(n - 1).takenAt();
    int hits = 0;
    // From the latest snapshot back: each backpressured one may begin the stretch.
    for (int start = n - 1; start >= 0; start--) {
      if (!findings.get(start).backpressured()) {
        continue;
      }
      hits++;
      int size = n - start;
      if (hits >= t.sustainSamples()
          && hits >= Math.ceil(t.sustainRatio() * size - 1e-9)
          && Duration.between(snapshots.get(start).takenAt(), latest).compareTo(t.sustainDuration())
              >= 0) {
        return true;
      }
    }
    return false;
  }

  private static String key(Finding f) {
    return f.cause() + "/" + f.bottleneck().map(Vertex::id).orElse("");
  }

  private static Diagnosis diagnosis(
      JobSnapshot latest,
      Symptom symptom,
      Cause cause,
      Optional<Vertex> bottleneck,
      double confidence,
      Finding source,
      List<String> notes) {
    return new Diagnosis(
        latest.takenAt(),
        latest.jobId(),
        latest.jobName(),
        latest.state(),
        symptom,
        cause,
        bottleneck,
        confidence,
        source.evidence(),
        notes);
  }
}
