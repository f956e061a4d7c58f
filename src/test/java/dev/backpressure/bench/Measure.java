package dev.backpressure.bench;

import java.util.Arrays;
import java.util.Locale;

/** Runs a task after a warm-up and prints its mean, median and 99th percentile. */
public final class Measure {

  private Measure() {}

  public static void print(String what, int warmup, int runs, Runnable task) {
    for (int i = 0; i < warmup; i++) {
      task.run();
    }
    long[] ns = new long[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      task.run();
      ns[i] = System.nanoTime() - start;
    }
    Arrays.sort(ns);
    double mean = Arrays.stream(ns).average().orElse(0);
    System.out.printf(
        Locale.ROOT,
        "%s: mean %.3f ms, median %.3f ms, p99 %.3f ms (%d runs)%n",
        what,
        mean / 1e6,
        ns[runs / 2] / 1e6,
        ns[(int) (runs * 0.99)] / 1e6,
        runs);
  }
}
