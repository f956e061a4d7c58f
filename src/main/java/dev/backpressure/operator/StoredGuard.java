package dev.backpressure.operator;

import dev.backpressure.remediation.GuardState;
import dev.backpressure.state.GuardStateJson;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The guard state of one deployment, read once. The annotation is on an object tenants may edit, so
 * the copy this policy's status keeps (which they cannot write, see the README) is the reference:
 * an annotation that is gone, unreadable, names settings the operator never writes, or has lost
 * changes or bars the copy holds, is replaced from the copy. Deleting or forging it thus neither
 * resets the daily budget nor forgets a change in flight, and never makes the operator write what
 * it does not own. One written by another release of the operator is left alone.
 *
 * @param text the annotation as it is, empty when absent
 * @param replaced why the annotation was not used as it is, when it was not
 * @param foreign why the annotation is left alone and nothing is done, when it is
 */
record StoredGuard(
    Optional<String> text, GuardState state, Optional<String> replaced, Optional<String> foreign) {

  static StoredGuard of(FlinkDeploymentDocument fd, Optional<String> recorded, Instant now) {
    Optional<String> text =
        Optional.ofNullable(fd.annotations().get(FlinkDeployments.GUARD_ANNOTATION));
    Optional<GuardState> record = recorded.flatMap(StoredGuard::readable);
    if (text.isEmpty()) {
      Optional<GuardState> kept = record.filter(r -> !r.equals(GuardState.initial()));
      return new StoredGuard(
          text,
          kept.orElse(GuardState.initial()),
          kept.map(r -> "it was removed, while this policy's status holds a record"),
          Optional.empty());
    }
    GuardState annotated;
    try {
      annotated = GuardStateJson.read(text.get());
    } catch (GuardStateJson.Unreadable e) {
      if (e.otherVersion() && record.isEmpty()) {
        return new StoredGuard(
            text, GuardState.initial(), Optional.empty(), Optional.of(e.getMessage()));
      }
      return new StoredGuard(
          text, record.orElse(GuardState.initial()), Optional.of(e.getMessage()), Optional.empty());
    }
    if (record.isPresent() && !extendsRecord(annotated, record.get(), now)) {
      return new StoredGuard(
          text,
          record.get(),
          Optional.of("it has lost changes or bars this policy's status records"),
          Optional.empty());
    }
    return new StoredGuard(text, annotated, Optional.empty(), Optional.empty());
  }

  /**
   * Whether the annotation holds everything the record does that still counts (a later pass only
   * adds to it): its change in flight as it was applied, or that change ended; its changes of the
   * last day, unaltered; its bars, none shortened. A change in flight older than a day is left out:
   * no change is followed that long, and the record may be older than the annotation.
   */
  private static boolean extendsRecord(GuardState annotated, GuardState record, Instant now) {
    Instant dayAgo = now.minus(Duration.ofDays(1));
    Map<String, GuardState.PastChange> past = new HashMap<>();
    annotated.history().forEach(h -> past.put(h.id(), h));
    boolean inFlightKept =
        record
            .inFlight()
            .filter(f -> f.appliedAt().isAfter(dayAgo))
            .map(
                f ->
                    past.containsKey(f.id())
                        || annotated
                            .inFlight()
                            .filter(
                                g ->
                                    g.id().equals(f.id())
                                        && g.changes().equals(f.changes())
                                        && g.appliedAt().equals(f.appliedAt())
                                        && g.baseline().equals(f.baseline()))
                            .isPresent())
            .orElse(true);
    boolean historyKept =
        record.history().stream()
            .filter(h -> h.endedAt().isAfter(dayAgo))
            .allMatch(h -> h.equals(past.get(h.id())));
    boolean barsKept =
        record.barred().stream()
            .filter(b -> b.until().isAfter(now))
            .allMatch(
                b ->
                    annotated
                        .barFor(b.key(), now)
                        .filter(a -> !a.until().isBefore(b.until()))
                        .isPresent());
    return inFlightKept && historyKept && barsKept;
  }

  /** The id of the change in flight a record holds, if any. */
  static Optional<String> inFlightId(Optional<String> recorded) {
    return recorded
        .flatMap(StoredGuard::readable)
        .flatMap(GuardState::inFlight)
        .map(GuardState.InFlight::id);
  }

  private static Optional<GuardState> readable(String text) {
    try {
      return text.isEmpty() ? Optional.empty() : Optional.of(GuardStateJson.read(text));
    } catch (GuardStateJson.Unreadable e) {
      return Optional.empty();
    }
  }
}
