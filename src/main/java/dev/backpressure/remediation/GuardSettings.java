package dev.backpressure.remediation;

import java.time.Duration;
import java.time.LocalTime;
import java.util.List;

/**
 * The guard's part of a policy: when a change may run, and how it is judged.
 *
 * @param enforce false for a dry run: plans are reported, never applied
 * @param cooldown after a change is verified or rolled back, no new change before this passes
 * @param maxChangesPerDay changes applied in any 24 hours
 * @param stabilizationTimeout the deployment must be RUNNING and STABLE again within this
 * @param verificationWindow then it is watched this long before the change is judged
 * @param minImprovement the worst backpressure must fall by at least this share of what it was
 * @param maxThroughputDrop the sources' output may fall by at most this share
 * @param allowStateless whether a deployment with upgrade mode stateless may be changed (it loses
 *     its state on restart)
 * @param blacklistFor how long a cause and remedy that were rolled back stay barred
 * @param excludedWindows daily windows (UTC) in which no change starts
 */
public record GuardSettings(
    boolean enforce,
    Duration cooldown,
    int maxChangesPerDay,
    Duration stabilizationTimeout,
    Duration verificationWindow,
    double minImprovement,
    double maxThroughputDrop,
    boolean allowStateless,
    Duration blacklistFor,
    List<Window> excludedWindows) {

  public GuardSettings {
    excludedWindows = List.copyOf(excludedWindows);
  }

  public static final GuardSettings DEFAULTS =
      new GuardSettings(
          false,
          Duration.ofMinutes(15),
          3,
          Duration.ofMinutes(10),
          Duration.ofMinutes(5),
          0.2,
          0.05,
          false,
          Duration.ofHours(6),
          List.of());

  /** The same settings, allowed to change deployments. */
  public GuardSettings enforcing() {
    return new GuardSettings(
        true,
        cooldown,
        maxChangesPerDay,
        stabilizationTimeout,
        verificationWindow,
        minImprovement,
        maxThroughputDrop,
        allowStateless,
        blacklistFor,
        excludedWindows);
  }

  /** A daily time window in UTC; one whose end is before its start spans midnight. */
  public record Window(LocalTime start, LocalTime end) {
    public boolean contains(LocalTime t) {
      return start.isBefore(end)
          ? !t.isBefore(start) && t.isBefore(end)
          : !t.isBefore(start) || t.isBefore(end);
    }

    /** Parses "22:00-06:00". */
    public static Window parse(String text) {
      String[] parts = text.trim().split("-");
      if (parts.length != 2) {
        throw new IllegalArgumentException(
            "excluded window '" + text + "' must look like 22:00-06:00 (UTC)");
      }
      Window w;
      try {
        w = new Window(LocalTime.parse(parts[0].trim()), LocalTime.parse(parts[1].trim()));
      } catch (java.time.format.DateTimeParseException e) {
        throw new IllegalArgumentException(
            "excluded window '" + text + "' must look like 22:00-06:00 (UTC)");
      }
      if (w.start().equals(w.end())) {
        // contains() would read it as the whole day, which nobody writes as a window.
        throw new IllegalArgumentException(
            "excluded window '"
                + text
                + "' starts where it ends; for the whole day, use mode DryRun");
      }
      return w;
    }

    @Override
    public String toString() {
      return start + "-" + end;
    }
  }
}
