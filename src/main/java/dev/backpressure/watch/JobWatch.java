package dev.backpressure.watch;

import dev.backpressure.diagnosis.Classifier;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Thresholds;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.SnapshotWindow;
import dev.backpressure.flink.Vertex;
import dev.backpressure.flink.rest.ScrapeException;
import dev.backpressure.flink.rest.SnapshotReader;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * Follows one job: each {@link #observe} reads a snapshot, slides the window and classifies it. The
 * vertex last found to be the bottleneck is profiled (flame graph) on the next read, so that
 * serialization can be told from other computation where the cluster allows it.
 */
public final class JobWatch {

  private final SnapshotReader reader;
  private final String jobId;
  private final Thresholds thresholds;
  private SnapshotWindow window;
  private Optional<Diagnosis> last = Optional.empty();

  public JobWatch(
      SnapshotReader reader, String jobId, Thresholds thresholds, int windowSize, Duration maxAge) {
    this.reader = reader;
    this.jobId = jobId;
    this.thresholds = thresholds;
    this.window = SnapshotWindow.empty(windowSize, maxAge);
  }

  /** Reads one snapshot and returns the diagnosis of the window including it. */
  public Diagnosis observe() throws ScrapeException {
    Set<String> profile =
        last.flatMap(Diagnosis::bottleneck).map(Vertex::id).map(Set::of).orElse(Set.of());
    JobSnapshot snapshot = reader.read(jobId, profile);
    window = window.add(snapshot);
    Diagnosis diagnosis = Classifier.classify(window, thresholds);
    last = Optional.of(diagnosis);
    return diagnosis;
  }

  public SnapshotWindow window() {
    return window;
  }

  public String jobId() {
    return jobId;
  }
}
