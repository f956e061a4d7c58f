package dev.backpressure.remediation;

import dev.backpressure.flink.FlinkOptions;
import java.util.Map;
import java.util.Optional;

/**
 * Derives a TaskManager's memory breakdown from its configuration exactly as Flink does at startup
 * ({@code TaskExecutorProcessUtils}), and refuses what Flink would refuse with the same message.
 * The planner uses it to check a network memory change before anyone restarts a job with it; a test
 * compares it with Flink's own code on many configurations.
 */
public final class TaskManagerMemoryModel {

  public static final String PROCESS_SIZE = FlinkOptions.PROCESS_SIZE.key();
  public static final String FLINK_SIZE = FlinkOptions.FLINK_SIZE.key();
  public static final String TASK_HEAP = FlinkOptions.TASK_HEAP.key();
  public static final String TASK_OFF_HEAP = FlinkOptions.TASK_OFF_HEAP.key();
  public static final String FRAMEWORK_HEAP = FlinkOptions.FRAMEWORK_HEAP.key();
  public static final String FRAMEWORK_OFF_HEAP = FlinkOptions.FRAMEWORK_OFF_HEAP.key();
  public static final String MANAGED_SIZE = FlinkOptions.MANAGED_SIZE.key();
  public static final String MANAGED_FRACTION = FlinkOptions.MANAGED_FRACTION.key();
  public static final String NETWORK_FRACTION = FlinkOptions.NETWORK_FRACTION.key();
  public static final String NETWORK_MIN = FlinkOptions.NETWORK_MIN.key();
  public static final String NETWORK_MAX = FlinkOptions.NETWORK_MAX.key();
  public static final String METASPACE = FlinkOptions.METASPACE.key();
  public static final String OVERHEAD_FRACTION = FlinkOptions.OVERHEAD_FRACTION.key();
  public static final String OVERHEAD_MIN = FlinkOptions.OVERHEAD_MIN.key();
  public static final String OVERHEAD_MAX = FlinkOptions.OVERHEAD_MAX.key();
  public static final String SEGMENT_SIZE = FlinkOptions.SEGMENT_SIZE.key();

  /** Deprecated names Flink still reads for the network keys (1.17 to 2.1). */
  static final Map<String, String> NETWORK_ALIASES =
      Map.of(
          NETWORK_FRACTION, FlinkOptions.NETWORK_FRACTION.olderKeys().get(0),
          NETWORK_MIN, FlinkOptions.NETWORK_MIN.olderKeys().get(0),
          NETWORK_MAX, FlinkOptions.NETWORK_MAX.olderKeys().get(0));

  private TaskManagerMemoryModel() {}

  /** Thrown for a configuration Flink would refuse to start a TaskManager with. */
  public static final class InvalidMemoryConfiguration extends IllegalArgumentException {
    public InvalidMemoryConfiguration(String message) {
      super(message);
    }
  }

  public static TaskManagerMemory derive(Map<String, String> config) {
    Options o = new Options(config);
    Optional<MemorySize> process = o.size(PROCESS_SIZE);
    Optional<MemorySize> flink = o.size(FLINK_SIZE);
    Optional<MemorySize> taskHeap = o.size(TASK_HEAP);
    Optional<MemorySize> managed = o.size(MANAGED_SIZE);
    MemorySize metaspace = o.sizeOrFlinks(FlinkOptions.METASPACE);

    Internal internal;
    if (taskHeap.isPresent() && managed.isPresent()) {
      internal = fromFineGrained(o, taskHeap.get(), managed.get(), flink);
    } else if (flink.isPresent()) {
      internal = fromTotalFlink(o, flink.get(), taskHeap, managed);
    } else if (process.isPresent()) {
      MemorySize overhead =
          overhead(o, process.get().times(o.fractionOrFlinks(FlinkOptions.OVERHEAD_FRACTION)));
      if (metaspace.plus(overhead).compareTo(process.get()) > 0) {
        throw new InvalidMemoryConfiguration(
            "Sum of configured JVM Metaspace ("
                + metaspace
                + ") and JVM Overhead ("
                + overhead
                + ") exceed configured Total Process Memory ("
                + process.get()
                + ").");
      }
      internal =
          fromTotalFlink(o, process.get().minus(metaspace).minus(overhead), taskHeap, managed);
      return internal.with(metaspace, overhead, o);
    } else {
      throw new InvalidMemoryConfiguration(
          "Either required fine-grained memory ("
              + TASK_HEAP
              + " and "
              + MANAGED_SIZE
              + "), or Total Flink Memory size ("
              + FLINK_SIZE
              + "), or Total Process Memory size ("
              + PROCESS_SIZE
              + ") need to be configured explicitly.");
    }

    MemorySize totalFlink = internal.total();
    MemorySize overhead;
    if (process.isPresent()) {
      if (totalFlink.plus(metaspace).compareTo(process.get()) > 0) {
        throw new InvalidMemoryConfiguration(
            "The configured Total Process Memory size ("
                + process.get()
                + ") is less than the sum of the derived Total Flink Memory size ("
                + totalFlink
                + ") and the configured or default JVM Metaspace size ("
                + metaspace
                + ").");
      }
      MemorySize left = process.get().minus(totalFlink).minus(metaspace);
      MemorySize min = o.sizeOrFlinks(FlinkOptions.OVERHEAD_MIN);
      MemorySize max = o.sizeOrFlinks(FlinkOptions.OVERHEAD_MAX);
      if (left.compareTo(min) < 0 || left.compareTo(max) > 0) {
        throw new InvalidMemoryConfiguration(
            "Derived JVM Overhead size ("
                + left
                + ") is not in configured JVM Overhead range ["
                + min
                + ", "
                + max
                + "].");
      }
      overhead = left;
    } else {
      double f = o.fractionOrFlinks(FlinkOptions.OVERHEAD_FRACTION);
      overhead = overhead(o, totalFlink.plus(metaspace).times(f / (1 - f)));
    }
    return internal.with(metaspace, overhead, o);
  }

  private static MemorySize overhead(Options o, MemorySize derived) {
    MemorySize min = o.sizeOrFlinks(FlinkOptions.OVERHEAD_MIN);
    MemorySize max = o.sizeOrFlinks(FlinkOptions.OVERHEAD_MAX);
    return MemorySize.max(min, MemorySize.min(max, derived));
  }

  private static Internal fromFineGrained(
      Options o, MemorySize taskHeap, MemorySize managed, Optional<MemorySize> flink) {
    Internal base = o.baseWith(taskHeap, managed, MemorySize.ZERO);
    MemorySize withoutNetwork = base.total();
    if (flink.isPresent()) {
      if (withoutNetwork.compareTo(flink.get()) > 0) {
        throw base.exceeds(flink.get(), false);
      }
      return base.withNetwork(checkedRest(o, flink.get().minus(withoutNetwork)));
    }
    double f = o.networkFraction();
    return base.withNetwork(o.clampNetwork(withoutNetwork.times(f / (1 - f))));
  }

  private static Internal fromTotalFlink(
      Options o, MemorySize flink, Optional<MemorySize> taskHeap, Optional<MemorySize> managed) {
    MemorySize managedSize =
        managed.orElseGet(() -> flink.times(o.fractionOrFlinks(FlinkOptions.MANAGED_FRACTION)));
    if (taskHeap.isPresent()) {
      Internal base = o.baseWith(taskHeap.get(), managedSize, MemorySize.ZERO);
      if (base.total().compareTo(flink) > 0) {
        throw base.exceeds(flink, false);
      }
      return base.withNetwork(checkedRest(o, flink.minus(base.total())));
    }
    MemorySize network = o.clampNetwork(flink.times(o.networkFraction()));
    Internal base = o.baseWith(MemorySize.ZERO, managedSize, network);
    if (base.total().compareTo(flink) > 0) {
      throw base.exceeds(flink, true);
    }
    return o.baseWith(flink.minus(base.total()), managedSize, network);
  }

  /** When heap and total are both fixed, network is the rest and must fall in its range. */
  private static MemorySize checkedRest(Options o, MemorySize rest) {
    MemorySize min = o.networkMin();
    MemorySize max = o.networkMax();
    if (rest.compareTo(min) < 0 || rest.compareTo(max) > 0) {
      throw new InvalidMemoryConfiguration(
          "If Total Flink, Task Heap and (or) Managed Memory sizes are explicitly configured then"
              + " the Network Memory size is the rest of the Total Flink memory after subtracting all"
              + " other configured types of memory, but the derived Network Memory is inconsistent"
              + " with its configuration: Derived Network Memory size ("
              + rest
              + ") is not in configured Network Memory range ["
              + min
              + ", "
              + max
              + "].");
    }
    return rest;
  }

  /** Flink memory without JVM metaspace and overhead. */
  private record Internal(
      MemorySize frameworkHeap,
      MemorySize frameworkOffHeap,
      MemorySize taskHeap,
      MemorySize taskOffHeap,
      MemorySize managed,
      MemorySize network) {

    MemorySize total() {
      return frameworkHeap
          .plus(frameworkOffHeap)
          .plus(taskHeap)
          .plus(taskOffHeap)
          .plus(managed)
          .plus(network);
    }

    Internal withNetwork(MemorySize n) {
      return new Internal(frameworkHeap, frameworkOffHeap, taskHeap, taskOffHeap, managed, n);
    }

    TaskManagerMemory with(MemorySize metaspace, MemorySize overhead, Options o) {
      return new TaskManagerMemory(
          frameworkHeap,
          frameworkOffHeap,
          taskHeap,
          taskOffHeap,
          managed,
          network,
          metaspace,
          overhead,
          o.size(SEGMENT_SIZE).orElse(new MemorySize(32 * 1024)));
    }

    InvalidMemoryConfiguration exceeds(MemorySize flink, boolean withNetworkInsteadOfHeap) {
      String parts =
          withNetworkInsteadOfHeap
              ? "Framework Heap Memory ("
                  + frameworkHeap
                  + "), Framework Off-Heap Memory ("
                  + frameworkOffHeap
                  + "), Task Off-Heap Memory ("
                  + taskOffHeap
                  + "), Managed Memory ("
                  + managed
                  + ") and Network Memory ("
                  + network
                  + ")"
              : "Framework Heap Memory ("
                  + frameworkHeap
                  + "), Framework Off-Heap Memory ("
                  + frameworkOffHeap
                  + "), Task Heap Memory ("
                  + taskHeap
                  + "), Task Off-Heap Memory ("
                  + taskOffHeap
                  + ") and Managed Memory ("
                  + managed
                  + ")";
      return new InvalidMemoryConfiguration(
          "Sum of configured " + parts + " exceed configured Total Flink Memory (" + flink + ").");
    }
  }

  /** Typed reads of the memory options, with Flink's defaults and deprecated aliases. */
  private record Options(Map<String, String> config) {

    Optional<MemorySize> size(String key) {
      return value(key).map(MemorySize::parse);
    }

    Optional<String> value(String key) {
      String v = config.get(key);
      if (v == null && NETWORK_ALIASES.containsKey(key)) {
        v = config.get(NETWORK_ALIASES.get(key));
      }
      return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    /** Flink's fraction options are floats: 0.4 is 0.4000000059604645 in its arithmetic. */
    double fraction(String key, double fallback) {
      return value(key).map(Float::parseFloat).orElse((float) fallback);
    }

    /** The fraction set, else Flink's own default for it. */
    double fractionOrFlinks(FlinkOptions.Key option) {
      return fraction(option.key(), Float.parseFloat(option.defaultValue().orElseThrow()));
    }

    /** The size set, else Flink's own default for it. */
    MemorySize sizeOrFlinks(FlinkOptions.Key option) {
      return size(option.key())
          .orElseGet(() -> MemorySize.parse(option.defaultValue().orElseThrow()));
    }

    double networkFraction() {
      double f = fractionOrFlinks(FlinkOptions.NETWORK_FRACTION);
      MemorySize min = networkMin();
      MemorySize max = networkMax();
      if (f < 0 || f >= 1 || min.compareTo(max) > 0) {
        throw new InvalidMemoryConfiguration(
            "Inconsistently configured network fraction ("
                + f
                + ") and its min ("
                + min
                + "), max ("
                + max
                + ") value: the fraction must be in [0, 1) and min <= max.");
      }
      return f;
    }

    MemorySize networkMin() {
      return sizeOrFlinks(FlinkOptions.NETWORK_MIN);
    }

    MemorySize networkMax() {
      // Flink's default is its largest size: no bound.
      return size(NETWORK_MAX).orElse(MemorySize.MAX);
    }

    MemorySize clampNetwork(MemorySize derived) {
      return MemorySize.max(networkMin(), MemorySize.min(networkMax(), derived));
    }

    Internal baseWith(MemorySize taskHeap, MemorySize managed, MemorySize network) {
      return new Internal(
          sizeOrFlinks(FlinkOptions.FRAMEWORK_HEAP),
          sizeOrFlinks(FlinkOptions.FRAMEWORK_OFF_HEAP),
          taskHeap,
          sizeOrFlinks(FlinkOptions.TASK_OFF_HEAP),
          managed,
          network);
    }
  }
}
