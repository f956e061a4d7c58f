package dev.backpressure.remediation;

import java.util.Locale;

/**
 * Where the Flink Kubernetes Operator stands with a deployment ({@code status.lifecycleState}),
 * plus one state of our own: the guard's preconditions and verdicts ask it, never its text.
 */
public enum Lifecycle {
  CREATED,
  SUSPENDED,
  UPGRADING,
  DEPLOYED,
  STABLE,
  ROLLING_BACK,
  ROLLED_BACK,
  FAILED,
  /** Ours: the spec as it is now (our patch, say) is not the one the Flink operator rolled out. */
  PENDING,
  /** Unset, or a state a later Flink operator added. */
  UNKNOWN;

  /** The state a status names; one this project does not know is {@link #UNKNOWN}. */
  public static Lifecycle of(String text) {
    if (text == null) {
      return UNKNOWN;
    }
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return UNKNOWN;
    }
  }

  /** The Flink operator has finished rolling out what it was given. */
  public boolean settled() {
    return this == STABLE || this == DEPLOYED;
  }

  /** The Flink operator is not (or no longer) on its way to the spec as it is. */
  public boolean rolledOut() {
    return this != PENDING && this != UPGRADING;
  }
}
