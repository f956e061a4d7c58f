package dev.backpressure.api;

import java.util.ArrayList;
import java.util.List;

/** The policy status entry of one governed FlinkDeployment. */
public class DeploymentReport {

  public String name;

  public DeploymentPhase phase;

  public String message;
  public Diagnosis lastDiagnosis;
  public Change lastChange;

  /** The guard state, as also kept in the FlinkDeployment annotation (versioned JSON). */
  public String guardState;

  @Override
  public String toString() {
    return name
        + " "
        + phase
        + ": "
        + message
        + (lastChange == null
            ? ""
            : " (last change " + lastChange.outcome + ": " + lastChange.reason + ")");
  }

  /** The last diagnosis: cause, where, how sure, the evidence. */
  public static class Diagnosis {
    public String cause;
    public String vertex;
    public Double confidence;
    public List<String> evidence = new ArrayList<>();
    public String time;
  }

  /** The last change: what, when, and how it ended. */
  public static class Change {
    public String summary;
    public List<String> changes = new ArrayList<>();
    public String appliedAt;
    public String outcome;
    public String reason;
  }
}
