package dev.backpressure.flink;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.NettyShuffleEnvironmentOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;

/**
 * Every Flink configuration key this project reads or writes, taken from Flink's own option
 * definitions (flink-core 1.20): the key, the older names Flink still reads, and Flink's default
 * come from there, so none is restated by hand. Keys gone in Flink 2.0 (the per-channel buffers)
 * are still 1.20's; whether a version has them is {@link FlinkVersion#hasPerChannelBufferKeys}.
 */
@SuppressWarnings("deprecation") // the per-channel keys are deprecated in 1.20 and read as such
public final class FlinkOptions {

  public static final Key BUFFERS_PER_CHANNEL =
      Key.of(NettyShuffleEnvironmentOptions.NETWORK_BUFFERS_PER_CHANNEL);
  public static final Key FLOATING_BUFFERS_PER_GATE =
      Key.of(NettyShuffleEnvironmentOptions.NETWORK_EXTRA_BUFFERS_PER_GATE);
  public static final Key PARALLELISM_OVERRIDES = Key.of(PipelineOptions.PARALLELISM_OVERRIDES);
  public static final Key SCHEDULER = Key.of(JobManagerOptions.SCHEDULER);
  public static final Key TASK_SLOTS = Key.of(TaskManagerOptions.NUM_TASK_SLOTS);
  public static final Key STATE_BACKEND = Key.of(StateBackendOptions.STATE_BACKEND);

  public static final Key PROCESS_SIZE = Key.of(TaskManagerOptions.TOTAL_PROCESS_MEMORY);
  public static final Key FLINK_SIZE = Key.of(TaskManagerOptions.TOTAL_FLINK_MEMORY);
  public static final Key TASK_HEAP = Key.of(TaskManagerOptions.TASK_HEAP_MEMORY);
  public static final Key TASK_OFF_HEAP = Key.of(TaskManagerOptions.TASK_OFF_HEAP_MEMORY);
  public static final Key FRAMEWORK_HEAP = Key.of(TaskManagerOptions.FRAMEWORK_HEAP_MEMORY);
  public static final Key FRAMEWORK_OFF_HEAP = Key.of(TaskManagerOptions.FRAMEWORK_OFF_HEAP_MEMORY);
  public static final Key MANAGED_SIZE = Key.of(TaskManagerOptions.MANAGED_MEMORY_SIZE);
  public static final Key MANAGED_FRACTION = Key.of(TaskManagerOptions.MANAGED_MEMORY_FRACTION);
  public static final Key NETWORK_FRACTION = Key.of(TaskManagerOptions.NETWORK_MEMORY_FRACTION);
  public static final Key NETWORK_MIN = Key.of(TaskManagerOptions.NETWORK_MEMORY_MIN);
  public static final Key NETWORK_MAX = Key.of(TaskManagerOptions.NETWORK_MEMORY_MAX);
  public static final Key METASPACE = Key.of(TaskManagerOptions.JVM_METASPACE);
  public static final Key OVERHEAD_FRACTION = Key.of(TaskManagerOptions.JVM_OVERHEAD_FRACTION);
  public static final Key OVERHEAD_MIN = Key.of(TaskManagerOptions.JVM_OVERHEAD_MIN);
  public static final Key OVERHEAD_MAX = Key.of(TaskManagerOptions.JVM_OVERHEAD_MAX);
  public static final Key SEGMENT_SIZE = Key.of(TaskManagerOptions.MEMORY_SEGMENT_SIZE);

  private FlinkOptions() {}

  /**
   * One key as Flink defines it.
   *
   * @param olderKeys the names Flink still reads when the key itself is unset, in its order
   * @param defaultValue Flink's default, as Flink writes it; empty when Flink has none
   */
  public record Key(String key, List<String> olderKeys, Optional<String> defaultValue) {

    static Key of(ConfigOption<?> option) {
      List<String> older = new ArrayList<>();
      for (FallbackKey k : option.fallbackKeys()) {
        older.add(k.getKey());
      }
      return new Key(
          option.key(),
          List.copyOf(older),
          option.hasDefaultValue()
              ? Optional.of(String.valueOf(option.defaultValue()))
              : Optional.empty());
    }

    /** The value a configuration gives it: under its key, else an older name Flink reads. */
    public Optional<String> in(Map<String, String> configuration) {
      String value = configuration.get(key);
      for (int i = 0; value == null && i < olderKeys.size(); i++) {
        value = configuration.get(olderKeys.get(i));
      }
      return Optional.ofNullable(value).map(String::trim);
    }

    /** A whole number the configuration sets, else Flink's default (so also when unreadable). */
    public int intIn(Map<String, String> configuration) {
      try {
        return in(configuration).map(Integer::parseInt).orElseGet(this::defaultInt);
      } catch (NumberFormatException e) {
        return defaultInt();
      }
    }

    public int defaultInt() {
      return Integer.parseInt(defaultValue.orElseThrow());
    }
  }
}
