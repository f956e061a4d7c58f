package dev.backpressure.operator;

import dev.backpressure.api.Remedies;
import dev.backpressure.remediation.Plan;
import dev.backpressure.remediation.RemedyKind;
import dev.backpressure.remediation.SettingChange;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a planned change into advice when the policy does not allow that kind of remedy, so that
 * the user still learns what would help and why nothing was changed.
 */
final class RemedyFilter {

  private RemedyFilter() {}

  static Plan allowed(Plan plan, Remedies remedies) {
    if (!(plan instanceof Plan.Change c)) {
      return plan;
    }
    List<String> refused = new ArrayList<>();
    for (SettingChange s : c.changes()) {
      switch (RemedyKind.of(s)) {
        case SCALING -> {
          if (!Boolean.TRUE.equals(remedies.scaleUp)) {
            refused.add("scaling (spec.remedies.scaleUp is false)");
          }
        }
        case NETWORK_MEMORY -> {
          if (!Boolean.TRUE.equals(remedies.networkMemory)) {
            refused.add("network memory (spec.remedies.networkMemory is false)");
          }
        }
        case BUFFERS_PER_CHANNEL -> {
          if (!Boolean.TRUE.equals(remedies.buffersPerChannel)) {
            refused.add("buffers per channel (spec.remedies.buffersPerChannel is false)");
          }
        }
      }
    }
    if (refused.isEmpty()) {
      return plan;
    }
    List<String> actions = new ArrayList<>();
    actions.add(
        "the policy does not allow "
            + String.join(", ", refused.stream().distinct().toList())
            + "; the change that would help: "
            + c.summary());
    c.changes().forEach(s -> actions.add(s.describe()));
    actions.addAll(c.advice());
    return new Plan.Advice(
        c.cause(),
        c.target(),
        c.summary() + " (not allowed by the policy)",
        actions,
        c.arithmetic());
  }
}
