package dev.backpressure.remediation;

import dev.backpressure.diagnosis.Cause;
import dev.backpressure.flink.Vertex;
import java.util.List;
import java.util.Optional;

/** What to do about a diagnosis: a concrete change, an advice for a person, or nothing. */
public sealed interface Plan {

  Cause cause();

  /** One line for events and status. */
  String summary();

  /**
   * A minimal change to the FlinkDeployment, sized so that one restart suffices.
   *
   * @param arithmetic how the new values were computed, one step a line
   * @param advice what a person should still do (for example move a blocking call to async I/O)
   */
  record Change(
      Cause cause,
      Optional<Vertex> target,
      List<SettingChange> changes,
      List<String> arithmetic,
      List<String> advice,
      String summary)
      implements Plan {
    public Change {
      changes = List.copyOf(changes);
      arithmetic = List.copyOf(arithmetic);
      advice = List.copyOf(advice);
    }
  }

  /** No configuration change fixes this (or the policy forbids it): what a person should do. */
  record Advice(
      Cause cause,
      Optional<Vertex> target,
      String summary,
      List<String> actions,
      List<String> arithmetic)
      implements Plan {
    public Advice {
      actions = List.copyOf(actions);
      arithmetic = List.copyOf(arithmetic);
    }
  }

  /** Nothing to do: healthy, transient, or not known well enough to act on. */
  record NoAction(Cause cause, String summary) implements Plan {}
}
