package dev.backpressure.remediation;

import dev.backpressure.flink.Aggregate;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.Vertex;
import dev.backpressure.flink.VertexMetric;
import java.util.OptionalDouble;

/**
 * The two numbers a change is judged by: the job's worst backpressure and its throughput (what its
 * sources emit). Taken before a change and compared after it.
 *
 * @param worstBackPressure the most backpressured subtask's ms per second, over all vertices
 * @param throughput records per second out of the vertices that have no inputs
 * @param jobRunning false for the baseline of a job that could not run at all (failing at startup):
 *     then running is the improvement, and there are no numbers to compare
 */
public record Measures(double worstBackPressure, double throughput, boolean jobRunning) {

  public Measures(double worstBackPressure, double throughput) {
    this(worstBackPressure, throughput, true);
  }

  /** The baseline of a job that fails before it processes anything. */
  public static Measures notRunning() {
    return new Measures(0, 0, false);
  }

  /** The measures of a running snapshot; empty when a needed metric is unknown. */
  public static java.util.Optional<Measures> of(JobSnapshot s) {
    if (!s.hasMetrics()) {
      return java.util.Optional.empty();
    }
    double worst = 0;
    double throughput = 0;
    for (Vertex v : s.graph().vertices()) {
      OptionalDouble bp =
          s.metric(v.id(), VertexMetric.BACK_PRESSURED).stream()
              .mapToDouble(Aggregate::max)
              .findFirst();
      if (bp.isEmpty()) {
        return java.util.Optional.empty();
      }
      worst = Math.max(worst, bp.getAsDouble());
      if (s.graph().inputsOf(v.id()).isEmpty()) {
        OptionalDouble out =
            s.metric(v.id(), VertexMetric.RECORDS_OUT).stream()
                .mapToDouble(Aggregate::sum)
                .findFirst();
        if (out.isEmpty()) {
          return java.util.Optional.empty();
        }
        throughput += out.getAsDouble();
      }
    }
    return java.util.Optional.of(new Measures(worst, throughput));
  }
}
