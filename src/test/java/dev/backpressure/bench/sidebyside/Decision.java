package dev.backpressure.bench.sidebyside;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A decision one of the two made about a job.
 *
 * @param at when it was made
 * @param text the change as the table shows it: vertex from→to, or key=value
 * @param raised the names of the vertices whose parallelism it raises
 * @param keys the configuration keys it sets other than parallelism (memory)
 * @param apply the deployment the job restarts with once it is applied; empty for an advice, which
 *     changes nothing
 */
record Decision(
    Instant at,
    String text,
    Set<String> raised,
    Set<String> keys,
    Optional<UnaryOperator<Deployed>> apply) {

  static Decision advice(Instant at, String text) {
    return new Decision(at, text, Set.of(), Set.of(), Optional.empty());
  }

  Decision {
    raised = Set.copyOf(raised);
    keys = Set.copyOf(keys);
  }
}
