package dev.backpressure.diagnosis;

/** One fact that decided a diagnosis: a metric against its threshold, or an observed fact. */
public sealed interface Evidence {

  /** Who the fact is about: a vertex name, "taskmanagers" or "job". */
  String subject();

  /** A one-line rendering for people. */
  String describe();

  /** A metric value and the threshold it was compared with ({@code relation} is ">=", "<" …). */
  record Measured(String subject, String metric, double value, String relation, double threshold)
      implements Evidence {
    @Override
    public String describe() {
      String base = subject + ": " + metric + " = " + Numbers.format(value);
      return relation.isEmpty() || Double.isNaN(threshold)
          ? base
          : base + " (" + relation + " " + Numbers.format(threshold) + ")";
    }
  }

  /** A fact with no threshold: an exception, a configuration value, a graph shape. */
  record Observed(String subject, String fact) implements Evidence {
    @Override
    public String describe() {
      return subject + ": " + fact;
    }
  }
}
