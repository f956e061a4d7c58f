package dev.backpressure.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The policy's conditions, following Kubernetes conventions: positive types, CamelCase reasons (all
 * listed here), and a {@code lastTransitionTime} that changes only when the status flips.
 */
final class Conditions {

  static final String READY = "Ready";
  static final String BACKPRESSURED = "Backpressured";
  static final String REMEDIATING = "Remediating";
  static final String DEGRADED = "Degraded";

  /** Reasons, one place for all of them. */
  static final String WATCHING = "Watching";

  static final String INVALID_SPEC = "InvalidSpec";
  static final String OVERLAPPING_POLICIES = "OverlappingPolicies";
  static final String NO_DEPLOYMENTS = "NoDeploymentsSelected";
  static final String SUSTAINED_BACKPRESSURE = "SustainedBackpressure";
  static final String NO_BACKPRESSURE = "NoBackpressure";
  static final String CHANGE_IN_FLIGHT = "ChangeInFlight";
  static final String NO_CHANGE_IN_FLIGHT = "NoChangeInFlight";
  static final String FLINK_UNREADABLE = "FlinkUnreadable";
  static final String ALL_READABLE = "AllReadable";

  private Conditions() {}

  static Condition of(String type, boolean status, String reason, String message, long generation) {
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status ? "True" : "False")
        .withReason(reason)
        .withMessage(message.length() <= 1024 ? message : message.substring(0, 1023) + "…")
        .withObservedGeneration(generation)
        .build();
  }

  /** The wanted conditions, keeping each old transition time where the status did not flip. */
  static List<Condition> merge(List<Condition> old, List<Condition> wanted, Instant now) {
    List<Condition> out = new ArrayList<>();
    for (Condition w : wanted) {
      String since = now.toString();
      if (old != null) {
        for (Condition o : old) {
          if (o.getType().equals(w.getType())
              && o.getStatus().equals(w.getStatus())
              && o.getLastTransitionTime() != null) {
            since = o.getLastTransitionTime();
          }
        }
      }
      out.add(new ConditionBuilder(w).withLastTransitionTime(since).build());
    }
    return out;
  }
}
