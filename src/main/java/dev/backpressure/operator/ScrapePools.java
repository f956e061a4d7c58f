package dev.backpressure.operator;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads Flink is read on, sized by {@code scrapeThreads}: polls (one policy's scrape each, so
 * that a slow tenant does not hold the others' turn), scrapes (one deployment's snapshot each) and
 * requests (shared by the snapshots, each endpoint using at most a few at once). Separate pools, so
 * that no task waits for a thread its own caller holds.
 */
record ScrapePools(
    ScheduledExecutorService polls, ExecutorService scrapes, ExecutorService requests)
    implements AutoCloseable {

  static ScrapePools start(int threads) {
    return new ScrapePools(
        Executors.newScheduledThreadPool(threads, named("poll")),
        Executors.newFixedThreadPool(threads, named("scrape")),
        Executors.newFixedThreadPool(threads * 2, named("flink-rest")));
  }

  @Override
  public void close() {
    polls.shutdownNow();
    scrapes.shutdownNow();
    requests.shutdownNow();
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
