package dev.backpressure.diagnosis;

import dev.backpressure.flink.JobState;
import dev.backpressure.flink.Vertex;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The classifier's verdict on a window of snapshots: the symptom, the vertex where backpressure
 * starts, its cause, how sure, and the evidence that decided it.
 *
 * @param confidence 0..1: the rule's own certainty times the share of the window that agreed
 * @param notes what the classifier could not check and what would let it (for example a flame
 *     graph)
 */
public record Diagnosis(
    Instant at,
    String jobId,
    String jobName,
    JobState jobState,
    Symptom symptom,
    Cause cause,
    Optional<Vertex> bottleneck,
    double confidence,
    List<Evidence> evidence,
    List<String> notes) {

  public Diagnosis {
    evidence = List.copyOf(evidence);
    notes = List.copyOf(notes);
  }

  /** Whether this is backpressure worth acting on: sustained and of a known, non-healthy cause. */
  public boolean actionable() {
    return symptom.sustained() && cause != Cause.HEALTHY && cause != Cause.UNKNOWN;
  }
}
