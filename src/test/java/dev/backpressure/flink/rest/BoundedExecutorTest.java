package dev.backpressure.flink.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.testing.Await;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** One endpoint's requests take at most their share of the shared pool, and all of them run. */
class BoundedExecutorTest {

  @Test
  void runsEveryTaskNeverMoreThanItsShareAtOnce() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      BoundedExecutor bounded = new BoundedExecutor(pool, 4);
      AtomicInteger running = new AtomicInteger();
      AtomicInteger most = new AtomicInteger();
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch done = new CountDownLatch(40);
      for (int i = 0; i < 40; i++) {
        bounded.execute(
            () -> {
              most.accumulateAndGet(running.incrementAndGet(), Math::max);
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              running.decrementAndGet();
              done.countDown();
            });
      }
      Await.until("four tasks running", running::get, n -> n == 4, Duration.ofSeconds(10));
      // The other endpoints still get threads: the pool has 12 free.
      CountDownLatch other = new CountDownLatch(1);
      pool.execute(other::countDown);
      assertThat(other.await(10, TimeUnit.SECONDS)).isTrue();
      release.countDown();
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(most.get()).isEqualTo(4);
    } finally {
      pool.shutdownNow();
    }
  }
}
