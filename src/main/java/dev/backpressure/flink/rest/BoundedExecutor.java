package dev.backpressure.flink.rest;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs tasks on a shared pool, at most {@code max} of them at once; the rest wait here, not in the
 * pool's queue. Each Flink endpoint gets one, so that a JobManager that stops answering holds a few
 * of the shared threads, not all of them.
 */
final class BoundedExecutor implements Executor {

  private final Executor pool;
  private final int max;
  private final Queue<Runnable> waiting = new ArrayDeque<>();
  private int running;

  BoundedExecutor(Executor pool, int max) {
    if (max < 1) {
      throw new IllegalArgumentException("at least one task must run, got " + max);
    }
    this.pool = pool;
    this.max = max;
  }

  @Override
  public void execute(Runnable task) {
    synchronized (this) {
      if (running >= max) {
        waiting.add(task);
        return;
      }
      running++;
    }
    try {
      submit(task);
    } catch (RejectedExecutionException e) {
      synchronized (this) {
        running--;
      }
      throw e;
    }
  }

  private void submit(Runnable task) {
    pool.execute(
        () -> {
          try {
            task.run();
          } finally {
            next();
          }
        });
  }

  private void next() {
    Runnable task;
    synchronized (this) {
      task = waiting.poll();
      if (task == null) {
        running--;
        return;
      }
    }
    try {
      submit(task);
    } catch (RejectedExecutionException e) {
      // The pool is shutting down: what waits here will not run either.
      synchronized (this) {
        waiting.clear();
        running--;
      }
    }
  }
}
