package dev.backpressure.testing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Waits for a condition to hold, polling it, and fails with a description when it never does. */
public final class Await {
  private Await() {}

  public static <T> T until(
      String what, Supplier<T> value, java.util.function.Predicate<T> done, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = value.get();
        if (last != null && done.test(last)) {
          return last;
        }
      } catch (RuntimeException e) {
        // not there yet (the object may not exist yet): keep polling
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
    throw new AssertionError(
        "timed out after " + timeout + " waiting for " + what + "; last seen: " + last);
  }
}
