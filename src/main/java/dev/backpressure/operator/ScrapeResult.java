package dev.backpressure.operator;

import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.remediation.Measures;
import java.time.Instant;
import java.util.Optional;

/**
 * What one scrape of one governed deployment produced: a diagnosis of its window with the latest
 * snapshot and the measures of its window, or why Flink could not be read. The polling event source
 * hands these to the reconciler.
 *
 * @param deployment the FlinkDeployment
 */
public record ScrapeResult(
    DeploymentKey deployment,
    Instant at,
    Optional<Diagnosis> diagnosis,
    Optional<JobSnapshot> latest,
    Optional<Measures> measures,
    Optional<String> failure) {

  static ScrapeResult failed(DeploymentKey deployment, Instant at, String why) {
    return new ScrapeResult(
        deployment, at, Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(why));
  }
}
