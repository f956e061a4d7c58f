package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@code /healthz} fails when a reconcile or scrape is stuck, or the informers stay unhealthy. */
class LivenessTest {

  private final AtomicLong nanos = new AtomicLong();
  private final Liveness liveness = new Liveness(Duration.ofMinutes(5), nanos::get);

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Test
  void aReconcileRunningPastEveryTimeoutIsAStuckThread() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try {
      Future<String> stuck =
          thread.submit(
              () ->
                  liveness.during(
                      "reconciling policy default/fix",
                      () -> {
                        entered.countDown();
                        try {
                          release.await();
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                        return "done";
                      }));
      entered.await();
      advance(Duration.ofMinutes(4));
      assertThat(liveness.problem(true)).as("within its timeouts").isEmpty();
      advance(Duration.ofMinutes(2));
      assertThat(liveness.problem(true))
          .hasValueSatisfying(
              m ->
                  assertThat(m)
                      .startsWith("reconciling policy default/fix has run for 360 s")
                      .contains("a thread is stuck"));
      release.countDown();
      assertThat(stuck.get(10, TimeUnit.SECONDS)).isEqualTo("done");
      assertThat(liveness.problem(true)).as("once it ends").isEmpty();
    } finally {
      thread.shutdownNow();
    }
  }

  @Test
  void informersUnhealthyForAMinuteFailTheProbeAndABlipDoesNot() {
    assertThat(liveness.problem(false)).isEmpty();
    advance(Duration.ofSeconds(30));
    assertThat(liveness.problem(false)).isEmpty();
    assertThat(liveness.problem(true)).as("healthy again").isEmpty();
    advance(Duration.ofSeconds(45));
    assertThat(liveness.problem(false)).as("unhealthy again, from now").isEmpty();
    advance(Duration.ofSeconds(61));
    assertThat(liveness.problem(false))
        .hasValueSatisfying(m -> assertThat(m).contains("informers have been unhealthy for 61 s"));
  }
}
