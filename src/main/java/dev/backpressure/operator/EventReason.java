package dev.backpressure.operator;

/** Every reason this operator writes on a Kubernetes event, with its type (Normal or Warning). */
public enum EventReason {
  BackpressureDiagnosed(false),
  ChangePlanned(false),
  AdviceOnly(false),
  ChangeSkipped(false),
  AutoscalerOwnsParallelism(true),
  ChangeApplied(false),
  ChangeVerified(false),
  ChangeRolledBack(true),
  ChangeNotTaken(true),
  RollbackCompleted(false),
  RestoreCompleted(false),
  ConflictingEdit(true),
  PatchRefused(true),
  ScrapeFailed(true),
  PolicyInvalid(true),
  PolicyOverlap(true),
  GuardStateUnreadable(true),
  DeploymentUnreadable(true);

  private final boolean warning;

  EventReason(boolean warning) {
    this.warning = warning;
  }

  public String type() {
    return warning ? "Warning" : "Normal";
  }
}
