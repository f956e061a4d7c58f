package dev.backpressure.flink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The recent snapshots of one job, oldest first, so that a diagnosis judges what is sustained and
 * not a single sample. Immutable: {@link #add} returns a new window. A snapshot of another job id
 * (the job was resubmitted) starts the window afresh, since the old samples describe another run.
 */
public record SnapshotWindow(List<JobSnapshot> snapshots, int maxSize, Duration maxAge) {

  public SnapshotWindow {
    snapshots = List.copyOf(snapshots);
    if (maxSize < 1) {
      throw new IllegalArgumentException("maxSize must be at least 1, was " + maxSize);
    }
  }

  public static SnapshotWindow empty(int maxSize, Duration maxAge) {
    return new SnapshotWindow(List.of(), maxSize, maxAge);
  }

  public static SnapshotWindow of(List<JobSnapshot> snapshots) {
    return new SnapshotWindow(snapshots, Math.max(1, snapshots.size()), Duration.ofDays(365));
  }

  public SnapshotWindow add(JobSnapshot snapshot) {
    List<JobSnapshot> kept = new ArrayList<>();
    for (JobSnapshot s : snapshots) {
      boolean sameRun = s.jobId().equals(snapshot.jobId());
      boolean fresh = !s.takenAt().isBefore(snapshot.takenAt().minus(maxAge));
      if (sameRun && fresh) {
        kept.add(s);
      }
    }
    kept.add(snapshot);
    while (kept.size() > maxSize) {
      kept.remove(0);
    }
    return new SnapshotWindow(kept, maxSize, maxAge);
  }

  public Optional<JobSnapshot> latest() {
    return snapshots.isEmpty()
        ? Optional.empty()
        : Optional.of(snapshots.get(snapshots.size() - 1));
  }

  public int size() {
    return snapshots.size();
  }

  public boolean isEmpty() {
    return snapshots.isEmpty();
  }
}
