package dev.backpressure.operator;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Whether the operator still makes progress, for {@code /healthz}. Every call a reconcile or a
 * scrape makes has a timeout, so one that has run far longer than they allow has a stuck thread;
 * informers unhealthy for a while mean the operator no longer sees changes. Either way a restart
 * helps, which is what a failing liveness probe asks for.
 */
final class Liveness {

  /** Informers may fail for a moment (an API server restart) without the process being stuck. */
  static final Duration INFORMER_GRACE = Duration.ofMinutes(1);

  private final Duration stuckAfter;
  private final LongSupplier nanoTime;
  private final Map<String, Long> running = new ConcurrentHashMap<>();
  private volatile long unhealthySince = -1;

  /**
   * @param stuckAfter how long a reconcile or scrape may run before it counts as stuck
   * @param nanoTime the monotonic time, {@link System#nanoTime} but in tests
   */
  Liveness(Duration stuckAfter, LongSupplier nanoTime) {
    this.stuckAfter = stuckAfter;
    this.nanoTime = nanoTime;
  }

  /**
   * Thirty request timeouts, and at least fifteen minutes: a scrape takes at most three, and a pass
   * over many deployments on a slow API server (whose client retries each call) some more.
   */
  static Liveness forRequestTimeout(Duration requestTimeout) {
    Duration most = requestTimeout.multipliedBy(30);
    return new Liveness(
        most.compareTo(Duration.ofMinutes(15)) > 0 ? most : Duration.ofMinutes(15),
        System::nanoTime);
  }

  /** Runs {@code work}, known as {@code what} while it runs. */
  <T> T during(String what, Supplier<T> work) {
    String key = what + "#" + Thread.currentThread().getId();
    running.put(key, nanoTime.getAsLong());
    try {
      return work.get();
    } finally {
      running.remove(key);
    }
  }

  /** Why the operator is not live, or empty when it is. */
  Optional<String> problem(boolean informersHealthy) {
    long now = nanoTime.getAsLong();
    if (informersHealthy) {
      unhealthySince = -1;
    } else if (unhealthySince < 0) {
      unhealthySince = now;
    } else if (now - unhealthySince >= INFORMER_GRACE.toNanos()) {
      return Optional.of(
          "the informers have been unhealthy for "
              + Duration.ofNanos(now - unhealthySince).toSeconds()
              + " s: the operator no longer sees changes");
    }
    return running.entrySet().stream()
        .filter(e -> now - e.getValue() >= stuckAfter.toNanos())
        .findFirst()
        .map(
            e ->
                e.getKey().substring(0, e.getKey().lastIndexOf('#'))
                    + " has run for "
                    + Duration.ofNanos(now - e.getValue()).toSeconds()
                    + " s, longer than its calls' timeouts allow: a thread is stuck");
  }
}
