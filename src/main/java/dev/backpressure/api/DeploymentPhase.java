package dev.backpressure.api;

/**
 * Where a governed FlinkDeployment stands, as the policy status reports it: one closed set, so that
 * tools reading the status (and the CRD's schema) know every value.
 */
public enum DeploymentPhase {
  /** Read and not backpressured for long. */
  Healthy,
  /** Backpressured for the whole sustain window; no change follows (none planned, or none yet). */
  Backpressured,
  /** The deployment or its job could not be read: nothing is done to it. */
  Unreadable,
  /** Another policy selects it too, or someone else changed what the operator changed. */
  Conflict,
  /** A change is planned but a precondition holds it back; the message says which. */
  Held,
  /** A dry run: the change that would be made. */
  Planned,
  /** No setting fixes the cause: advice only. */
  Advised,
  /** A change was written and the Flink operator is rolling it out. */
  Remediating,
  /** The changed job runs; its throughput and backpressure are being compared. */
  Verifying,
  /** The change helped and stays. */
  Verified,
  /** The change did not help: the previous values are being written back. */
  RollingBack,
  /** The previous values run again after a rollback. */
  RolledBack,
  /** Flink did not run what the change set: the previous values are being written back. */
  Restoring,
  /** The previous values run again after a change Flink did not run. */
  Restored
}
