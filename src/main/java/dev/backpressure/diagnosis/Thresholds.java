package dev.backpressure.diagnosis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * What the classifier counts as backpressured, busy, full, skewed and sustained. Every option has a
 * default, a range and a description ({@link #OPTIONS}); {@link #with} refuses out-of-range values
 * with a message that names the option and its range.
 *
 * @param backPressuredMsPerSecond a vertex is backpressured when its most backpressured subtask
 *     spends at least this long per second waiting for output buffers
 * @param busyMsPerSecond a subtask counts as busy at or above this busy time
 * @param skewRatio a bottleneck whose average busy time is below this share of its busiest
 *     subtask's is skewed, not uniformly overloaded
 * @param poolFullUsage a buffer pool at or above this usage is full
 * @param poolEmptyUsage an input pool at or below this usage is starved
 * @param freeSegmentsRatio TaskManagers with at most this share of network segments free have run
 *     out of network memory
 * @param cpuBoundRatio a busy bottleneck that burns fewer cores than this share of its busy
 *     subtasks is waiting off-CPU (blocking I/O), not computing
 * @param serializationShare serializer frames above this share of on-CPU samples make serialization
 *     the cause
 * @param sustainSamples backpressure counts as sustained only over at least this many snapshots
 * @param sustainRatio and in at least this share of the snapshots since it began
 * @param sustainDuration and over at least this much time
 * @param exceptionLookback exceptions younger than this count as current evidence
 */
public record Thresholds(
    double backPressuredMsPerSecond,
    double busyMsPerSecond,
    double skewRatio,
    double poolFullUsage,
    double poolEmptyUsage,
    double freeSegmentsRatio,
    double cpuBoundRatio,
    double serializationShare,
    int sustainSamples,
    double sustainRatio,
    Duration sustainDuration,
    Duration exceptionLookback) {

  public static final Thresholds DEFAULTS =
      new Thresholds(
          500,
          800,
          0.6,
          0.9,
          0.1,
          0.05,
          0.5,
          0.3,
          3,
          0.8,
          Duration.ofSeconds(15),
          Duration.ofMinutes(5));

  /**
   * Why a policy waits longer than {@code diagnose} before backpressure counts as sustained: a
   * one-shot run lasts seconds to a few minutes and only reports, while the operator's verdict can
   * restart a job, so a burst of a minute must not be enough.
   */
  public static final String POLICY_SUSTAINS_LONGER =
      "a policy waits 90s: its verdict can restart a job, so a burst must not be enough; a one-shot"
          + " diagnose run lasts minutes and only reports";

  /**
   * One typed option: name, default, range and what it means.
   *
   * @param policyDefault the default of a policy's {@code spec.detection} field of the same name,
   *     where it differs from {@code diagnose}'s (and {@code whyApart} says why)
   */
  public record Option(
      String name,
      String defaultValue,
      Optional<String> policyDefault,
      Optional<String> whyApart,
      String range,
      String description,
      BiFunction<Thresholds, String, Thresholds> setter) {

    Option apart(String policyDefault, String why) {
      return new Option(
          name,
          defaultValue,
          Optional.of(policyDefault),
          Optional.of(why),
          range,
          description,
          setter);
    }
  }

  public static final List<Option> OPTIONS =
      List.of(
          number(
              "backPressuredMsPerSecond",
              1,
              1000,
              "ms per second a subtask waits on output buffers to count as backpressured",
              Thresholds::backPressuredMsPerSecond,
              (t, v) -> t.copy(b -> b.backPressured = v)),
          number(
              "busyMsPerSecond",
              1,
              1000,
              "ms per second of busy time at which a subtask counts as busy",
              Thresholds::busyMsPerSecond,
              (t, v) -> t.copy(b -> b.busy = v)),
          number(
              "skewRatio",
              0.05,
              0.95,
              "average/maximum busy time of the bottleneck below which it is skewed, not uniformly loaded",
              Thresholds::skewRatio,
              (t, v) -> t.copy(b -> b.skew = v)),
          number(
              "poolFullUsage",
              0.5,
              1.0,
              "buffer pool usage at which a pool counts as full",
              Thresholds::poolFullUsage,
              (t, v) -> t.copy(b -> b.poolFull = v)),
          number(
              "poolEmptyUsage",
              0.0,
              0.5,
              "input pool usage at or below which an input is starved",
              Thresholds::poolEmptyUsage,
              (t, v) -> t.copy(b -> b.poolEmpty = v)),
          number(
              "freeSegmentsRatio",
              0.0,
              0.5,
              "share of free network segments at or below which TaskManagers ran out of network memory",
              Thresholds::freeSegmentsRatio,
              (t, v) -> t.copy(b -> b.freeSegments = v)),
          number(
              "cpuBoundRatio",
              0.05,
              1.0,
              "cores used per busy bottleneck subtask below which it waits off-CPU (blocking I/O)",
              Thresholds::cpuBoundRatio,
              (t, v) -> t.copy(b -> b.cpuBound = v)),
          number(
              "serializationShare",
              0.05,
              1.0,
              "share of on-CPU samples in serializer frames above which serialization is the cause",
              Thresholds::serializationShare,
              (t, v) -> t.copy(b -> b.serialization = v)),
          number(
              "sustainSamples",
              1,
              100,
              "snapshots a backpressure must span to count as sustained",
              t -> t.sustainSamples(),
              (t, v) -> t.copy(b -> b.samples = (int) Math.round(v))),
          number(
              "sustainRatio",
              0.1,
              1.0,
              "share of the snapshots since the backpressure began that must show it",
              Thresholds::sustainRatio,
              (t, v) -> t.copy(b -> b.ratio = v)),
          duration(
                  "sustainDuration",
                  Duration.ZERO,
                  Duration.ofHours(1),
                  "time a backpressure must span to count as sustained",
                  Thresholds::sustainDuration,
                  (t, v) -> t.copy(b -> b.duration = v))
              .apart("90s", POLICY_SUSTAINS_LONGER),
          duration(
              "exceptionLookback",
              Duration.ZERO,
              Duration.ofDays(1),
              "age up to which a job exception counts as current evidence",
              Thresholds::exceptionLookback,
              (t, v) -> t.copy(b -> b.lookback = v)));

  /** Returns these thresholds with the named options set; refuses unknown names and bad values. */
  public Thresholds with(Map<String, String> values) {
    Thresholds t = this;
    for (Map.Entry<String, String> e : values.entrySet()) {
      Option option =
          OPTIONS.stream()
              .filter(o -> o.name().equals(e.getKey()))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "unknown threshold '" + e.getKey() + "'; known: " + names()));
      t = option.setter().apply(t, e.getValue());
    }
    return t;
  }

  private static String names() {
    List<String> names = new ArrayList<>();
    OPTIONS.forEach(o -> names.add(o.name()));
    return String.join(", ", names);
  }

  private static Option number(
      String name,
      double min,
      double max,
      String description,
      Function<Thresholds, Number> getter,
      BiFunction<Thresholds, Double, Thresholds> setter) {
    String range = "[" + plain(min) + ", " + plain(max) + "]";
    return new Option(
        name,
        plain(getter.apply(DEFAULTS).doubleValue()),
        Optional.empty(),
        Optional.empty(),
        range,
        description,
        (t, text) -> {
          double v;
          try {
            v = Double.parseDouble(text.trim());
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                "threshold " + name + " must be a number in " + range + ", got '" + text + "'");
          }
          if (!(v >= min && v <= max)) {
            throw new IllegalArgumentException(
                "threshold " + name + " must be in " + range + ", got " + text);
          }
          return setter.apply(t, v);
        });
  }

  private static Option duration(
      String name,
      Duration min,
      Duration max,
      String description,
      Function<Thresholds, Duration> getter,
      BiFunction<Thresholds, Duration, Thresholds> setter) {
    String range = "[" + Durations.format(min) + ", " + Durations.format(max) + "]";
    return new Option(
        name,
        Durations.format(getter.apply(DEFAULTS)),
        Optional.empty(),
        Optional.empty(),
        range,
        description,
        (t, text) -> {
          Duration v = Durations.parse(text, "threshold " + name);
          if (v.compareTo(min) < 0 || v.compareTo(max) > 0) {
            throw new IllegalArgumentException(
                "threshold " + name + " must be in " + range + ", got " + text);
          }
          return setter.apply(t, v);
        });
  }

  private static String plain(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  private Thresholds copy(java.util.function.Consumer<Builder> change) {
    Builder b = new Builder(this);
    change.accept(b);
    return b.build();
  }

  /** Mutable only inside {@link #copy}, so that each setter names one field. */
  private static final class Builder {
    double backPressured;
    double busy;
    double skew;
    double poolFull;
    double poolEmpty;
    double freeSegments;
    double cpuBound;
    double serialization;
    int samples;
    double ratio;
    Duration duration;
    Duration lookback;

    Builder(Thresholds t) {
      backPressured = t.backPressuredMsPerSecond;
      busy = t.busyMsPerSecond;
      skew = t.skewRatio;
      poolFull = t.poolFullUsage;
      poolEmpty = t.poolEmptyUsage;
      freeSegments = t.freeSegmentsRatio;
      cpuBound = t.cpuBoundRatio;
      serialization = t.serializationShare;
      samples = t.sustainSamples;
      ratio = t.sustainRatio;
      duration = t.sustainDuration;
      lookback = t.exceptionLookback;
    }

    Thresholds build() {
      return new Thresholds(
          backPressured,
          busy,
          skew,
          poolFull,
          poolEmpty,
          freeSegments,
          cpuBound,
          serialization,
          samples,
          ratio,
          duration,
          lookback);
    }
  }
}
