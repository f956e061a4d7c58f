package dev.backpressure.remediation;

import dev.backpressure.flink.Aggregate;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.Vertex;
import dev.backpressure.flink.VertexMetric;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
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

  /**
   * The measures of the latest snapshot of a window, its throughput averaged over the snapshots of
   * the same run: the growth of the sources' record counters from the oldest snapshot after which
   * no counter fell (a restart resets them) to the latest. Flink's per-second meter would do only
   * after a task's first minute, and a change can come sooner (a baseline of 343 records/s was
   * taken so from a job running at 914). Averaged over up to a window of the same length, the
   * baseline and the figure after a change compare like with like. Empty until two snapshots of the
   * run are apart in time; a snapshot without counters (recorded before they were read) gives its
   * meter.
   */
  public static Optional<Measures> over(List<JobSnapshot> window) {
    if (window.isEmpty()) {
      return Optional.empty();
    }
    JobSnapshot latest = window.get(window.size() - 1);
    Optional<Measures> now = of(latest);
    OptionalDouble last = recordsOut(latest);
    if (now.isEmpty()) {
      return now;
    }
    if (last.isEmpty()) {
      // Counters some subtasks do not report yet make no rate; none at all, the meter will do.
      return hasCounters(latest) ? Optional.empty() : now;
    }
    int from = window.size() - 1;
    double next = last.getAsDouble();
    while (from > 0) {
      JobSnapshot earlier = window.get(from - 1);
      OptionalDouble count = recordsOut(earlier);
      if (!earlier.jobId().equals(latest.jobId())
          || !earlier.graph().equals(latest.graph())
          || count.isEmpty()
          || count.getAsDouble() > next) {
        break;
      }
      next = count.getAsDouble();
      from--;
    }
    double seconds =
        Duration.between(window.get(from).takenAt(), latest.takenAt()).toMillis() / 1000.0;
    if (seconds <= 0) {
      return Optional.empty();
    }
    return Optional.of(
        new Measures(now.get().worstBackPressure(), (last.getAsDouble() - next) / seconds, true));
  }

  /**
   * The records the sources have emitted so far, if every subtask of every source reported its
   * counter (after a restart some report later than others, and a sum without them is no count).
   */
  private static OptionalDouble recordsOut(JobSnapshot s) {
    if (!s.hasMetrics()) {
      return OptionalDouble.empty();
    }
    for (Vertex v : s.graph().vertices()) {
      Optional<Aggregate> c = s.metric(v.id(), VertexMetric.RECORDS_OUT_TOTAL);
      if (s.graph().inputsOf(v.id()).isEmpty()
          && c.isPresent()
          && c.get().avg() > 0
          && Math.abs(c.get().sum() / c.get().avg() - v.parallelism()) > 0.5) {
        return OptionalDouble.empty();
      }
    }
    return sourcesSum(s, VertexMetric.RECORDS_OUT_TOTAL);
  }

  private static boolean hasCounters(JobSnapshot s) {
    return s.graph().vertices().stream()
        .anyMatch(v -> s.metric(v.id(), VertexMetric.RECORDS_OUT_TOTAL).isPresent());
  }

  /** A metric summed over the subtasks of every source, if it was read for all of them. */
  private static OptionalDouble sourcesSum(JobSnapshot s, VertexMetric metric) {
    double total = 0;
    for (Vertex v : s.graph().vertices()) {
      if (s.graph().inputsOf(v.id()).isEmpty()) {
        OptionalDouble c =
            s.metric(v.id(), metric).stream().mapToDouble(Aggregate::sum).findFirst();
        if (c.isEmpty()) {
          return OptionalDouble.empty();
        }
        total += c.getAsDouble();
      }
    }
    return OptionalDouble.of(total);
  }

  /** The measures of a running snapshot; empty when a needed metric is unknown. */
  public static Optional<Measures> of(JobSnapshot s) {
    if (!s.hasMetrics()) {
      return Optional.empty();
    }
    double worst = 0;
    for (Vertex v : s.graph().vertices()) {
      OptionalDouble bp =
          s.metric(v.id(), VertexMetric.BACK_PRESSURED).stream()
              .mapToDouble(Aggregate::max)
              .findFirst();
      if (bp.isEmpty()) {
        return Optional.empty();
      }
      worst = Math.max(worst, bp.getAsDouble());
    }
    OptionalDouble throughput = sourcesSum(s, VertexMetric.RECORDS_OUT);
    return throughput.isEmpty()
        ? Optional.empty()
        : Optional.of(new Measures(worst, throughput.getAsDouble()));
  }
}
