package dev.backpressure.operator;

import dev.backpressure.api.DeploymentReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What the operator found and did, one INFO line each time it changes, for as long as logs are kept
 * (Kubernetes events expire after an hour): a new diagnosis, a change planned, applied, verified,
 * rolled back or not taken, a plan held back and why. Each line carries the namespace, deployment
 * and policy in the logging context, so a log store can follow one deployment.
 */
final class AuditLog {

  /** Its own logger name, so that its level can be set apart from the operator's chatter. */
  private static final Logger LOG = LoggerFactory.getLogger("dev.backpressure.audit");

  private AuditLog() {}

  /** Logs what differs between the last pass's report on a deployment and this one's. */
  static void passed(
      String namespace, String policy, Optional<DeploymentReport> before, DeploymentReport now) {
    if (!LOG.isInfoEnabled()) {
      return;
    }
    List<String> lines = lines(before, now);
    if (lines.isEmpty()) {
      return;
    }
    try (MDC.MDCCloseable ns = MDC.putCloseable("namespace", namespace);
        MDC.MDCCloseable d = MDC.putCloseable("deployment", now.name);
        MDC.MDCCloseable p = MDC.putCloseable("policy", policy)) {
      lines.forEach(LOG::info);
    }
  }

  /** The lines a pass gives: a new diagnosis, a change's new outcome, a new phase or message. */
  static List<String> lines(Optional<DeploymentReport> before, DeploymentReport now) {
    List<String> out = new ArrayList<>();
    String was = before.map(b -> diagnosis(b.lastDiagnosis)).orElse("");
    String diagnosis = diagnosis(now.lastDiagnosis);
    if (!diagnosis.equals(was)) {
      out.add("diagnosis: " + diagnosis + " (was " + (was.isEmpty() ? "none" : was) + ")");
    }
    String change = change(now.lastChange);
    if (!change.isEmpty() && !change.equals(before.map(b -> change(b.lastChange)).orElse(""))) {
      out.add("change " + change);
    }
    if (before.isEmpty()
        || before.get().phase != now.phase
        || !Objects.equals(before.get().message, now.message)) {
      out.add(now.phase + ": " + now.message);
    }
    return out;
  }

  private static String diagnosis(DeploymentReport.Diagnosis d) {
    if (d == null) {
      return "";
    }
    return d.cause + (d.vertex == null ? "" : " at '" + d.vertex + "'");
  }

  private static String change(DeploymentReport.Change c) {
    if (c == null) {
      return "";
    }
    return c.outcome
        + " ("
        + c.summary
        + "): "
        + String.join("; ", c.changes)
        + (c.reason == null || c.reason.equals(c.summary) ? "" : " — " + c.reason);
  }
}
