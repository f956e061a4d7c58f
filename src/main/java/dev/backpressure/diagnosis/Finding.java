package dev.backpressure.diagnosis;

import dev.backpressure.flink.Vertex;
import java.util.List;
import java.util.Optional;

/**
 * What one snapshot shows on its own; the {@link Classifier} weighs the findings of a window.
 *
 * @param backpressured whether this snapshot counts towards the symptom
 * @param worstVertex the most backpressured vertex, if any
 * @param worstBackPressured its backpressure in ms per second
 */
record Finding(
    boolean backpressured,
    Optional<Vertex> worstVertex,
    double worstBackPressured,
    Cause cause,
    Optional<Vertex> bottleneck,
    double confidence,
    List<Evidence> evidence,
    List<String> notes) {

  static Finding healthy(Optional<Vertex> worst, double worstBp, List<Evidence> evidence) {
    return new Finding(
        false,
        worst,
        worstBp,
        Cause.HEALTHY,
        Optional.empty(),
        Confidence.HEALTHY.value,
        evidence,
        List.of());
  }
}
