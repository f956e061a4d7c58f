package dev.backpressure.testing;

import dev.backpressure.diagnosis.Cause;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Evidence;
import dev.backpressure.diagnosis.Symptom;
import dev.backpressure.flink.JobState;
import dev.backpressure.flink.Vertex;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Diagnoses for tests that need one as input, built from what the test cares about: the rest is a
 * running job backpressured at its source for five of five samples.
 */
public final class Diagnoses {

  private Instant at = Instant.parse("2026-01-05T10:00:00Z");
  private JobState jobState = JobState.RUNNING;
  private Cause cause;
  private Optional<Vertex> bottleneck = Optional.empty();
  private double confidence = 0.85;
  private boolean backpressured = true;
  private boolean sustained = true;
  private final List<Evidence> evidence = new ArrayList<>();

  private Diagnoses(Cause cause) {
    this.cause = cause;
  }

  /** A sustained diagnosis of this cause. */
  public static Diagnoses of(Cause cause) {
    return new Diagnoses(cause);
  }

  /** A job that is not backpressured at all. */
  public static Diagnoses healthy() {
    Diagnoses d = new Diagnoses(Cause.HEALTHY);
    d.backpressured = false;
    d.sustained = false;
    return d;
  }

  public Diagnoses at(Instant at) {
    this.at = at;
    return this;
  }

  public Diagnoses job(JobState state) {
    this.jobState = state;
    return this;
  }

  public Diagnoses bottleneck(Vertex vertex) {
    this.bottleneck = Optional.of(vertex);
    return this;
  }

  public Diagnoses bottleneck(Optional<Vertex> vertex) {
    this.bottleneck = vertex;
    return this;
  }

  public Diagnoses confidence(double confidence) {
    this.confidence = confidence;
    return this;
  }

  /** Backpressured in the latest sample, but not for long enough to act on. */
  public Diagnoses notSustained() {
    this.sustained = false;
    return this;
  }

  /** Not backpressured at all, whatever the cause says (a job failing as it starts). */
  public Diagnoses notBackpressured() {
    this.backpressured = false;
    this.sustained = false;
    return this;
  }

  public Diagnoses evidence(Evidence... more) {
    evidence.addAll(List.of(more));
    return this;
  }

  public Diagnosis build() {
    Symptom symptom =
        new Symptom(
            backpressured,
            sustained,
            backpressured ? 5 : 0,
            5,
            sustained ? Duration.ofSeconds(20) : Duration.ZERO,
            backpressured ? "source" : "",
            backpressured ? 1000 : 0);
    return new Diagnosis(
        at, "job-1", "job", jobState, symptom, cause, bottleneck, confidence, evidence, List.of());
  }
}
