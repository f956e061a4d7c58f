package dev.backpressure.remediation;

import dev.backpressure.flink.FlinkOptions;
import dev.backpressure.remediation.TaskManagerMemoryModel.InvalidMemoryConfiguration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Finds settings that give each TaskManager a given network memory inside a memory model Flink
 * accepts. In order of preference: take it from managed memory when the state backend does not use
 * it; take it from task heap while the heap keeps three quarters of its size; grow the TaskManager
 * when the policy allows; otherwise refuse, saying by how much it falls short.
 */
final class NetworkMemoryPlanner {

  /** The share of task heap a network raise may take before it starts to risk the job's heap. */
  static final double MAX_HEAP_SHARE_TAKEN = 0.25;

  private NetworkMemoryPlanner() {}

  /** Either the changes (with their arithmetic) or why none is possible. */
  record Outcome(List<SettingChange> changes, List<String> arithmetic, Optional<String> refusal) {}

  static Outcome raiseTo(DeploymentView d, MemorySize wanted, RemedyLimits limits) {
    List<String> math = new ArrayList<>();
    TaskManagerMemory now;
    try {
      now = TaskManagerMemoryModel.derive(d.effectiveConfiguration());
    } catch (IllegalArgumentException e) {
      return refuse(
          math, "the current TaskManager memory configuration cannot be read: " + e.getMessage());
    }
    math.add(
        "network memory per TaskManager now "
            + now.network()
            + " ("
            + now.networkBuffers()
            + " buffers of "
            + now.segmentSize()
            + ")");
    if (wanted.compareTo(limits.maxNetworkMemory()) > 0) {
      return refuse(
          math,
          "needs "
              + wanted
              + " of network memory per TaskManager, above the"
              + " policy's maximum of "
              + limits.maxNetworkMemory());
    }
    if (wanted.compareTo(now.network()) <= 0) {
      return refuse(
          math,
          "network memory is already " + now.network() + ", at least the " + wanted + " needed");
    }
    MemorySize delta = wanted.minus(now.network());
    math.add("raise to " + wanted + " (+" + delta + ")");

    List<SettingChange> network = networkExactly(d, wanted);
    if (!usesManagedMemoryForState(d) && now.managed().compareTo(delta) >= 0) {
      MemorySize managed = now.managed().minus(delta);
      List<SettingChange> changes = new ArrayList<>(network);
      changes.add(change(d, TaskManagerMemoryModel.MANAGED_SIZE, managed.toString()));
      Optional<TaskManagerMemory> after = check(d, changes, math);
      if (after.isPresent() && after.get().taskHeap().equals(now.taskHeap())) {
        math.add(
            "taken from managed memory ("
                + now.managed()
                + " → "
                + managed
                + "), which the "
                + stateBackend(d)
                + " state backend does not use; task heap stays "
                + now.taskHeap());
        return new Outcome(changes, math, Optional.empty());
      }
    }
    Optional<TaskManagerMemory> fromHeap = check(d, network, math);
    if (fromHeap.isPresent()
        && fromHeap.get().totalProcess().equals(now.totalProcess())
        && fromHeap.get().taskHeap().compareTo(now.taskHeap().times(1 - MAX_HEAP_SHARE_TAKEN))
            >= 0) {
      math.add("taken from task heap (" + now.taskHeap() + " → " + fromHeap.get().taskHeap() + ")");
      return new Outcome(network, math, Optional.empty());
    }
    if (limits.allowTaskManagerMemoryGrowth() && d.taskManagerMemory().isPresent()) {
      MemorySize process = now.totalProcess().plus(delta);
      List<SettingChange> changes = new ArrayList<>(network);
      changes.add(
          new SettingChange(
              Setting.TASK_MANAGER_MEMORY,
              Setting.TASK_MANAGER_MEMORY.path(),
              d.taskManagerMemory(),
              process.toString()));
      Map<String, String> effective = new HashMap<>(d.effectiveConfiguration());
      effective.put(TaskManagerMemoryModel.PROCESS_SIZE, process.toString());
      Optional<TaskManagerMemory> grown =
          check(
              new DeploymentView(
                  d.flinkVersion(),
                  d.jobParallelism(),
                  d.specConfiguration(),
                  effective,
                  d.taskManagerMemory()),
              network,
              math);
      if (grown.isPresent()) {
        math.add(
            "TaskManager grows "
                + now.totalProcess()
                + " → "
                + process
                + " (the policy allows growth)");
        return new Outcome(changes, math, Optional.empty());
      }
    }
    return refuse(
        math,
        "+"
            + delta
            + " of network memory cannot come from managed memory"
            + (usesManagedMemoryForState(d) ? " (RocksDB keeps its state there)" : "")
            + " nor from task heap (at most "
            + Math.round(MAX_HEAP_SHARE_TAKEN * 100)
            + "% of "
            + now.taskHeap()
            + "), and the policy "
            + (limits.allowTaskManagerMemoryGrowth()
                ? "found no TaskManager memory to grow"
                : "does not allow the TaskManager to grow"));
  }

  /** min = max pins the network size, whatever the fraction would derive. */
  private static List<SettingChange> networkExactly(DeploymentView d, MemorySize size) {
    return List.of(
        change(d, TaskManagerMemoryModel.NETWORK_MIN, size.toString()),
        change(d, TaskManagerMemoryModel.NETWORK_MAX, size.toString()));
  }

  private static SettingChange change(DeploymentView d, String key, String to) {
    return SettingChange.config(key, d.spec(key), to);
  }

  private static Optional<TaskManagerMemory> check(
      DeploymentView d, List<SettingChange> changes, List<String> math) {
    Map<String, String> config = new HashMap<>(d.effectiveConfiguration());
    for (SettingChange c : changes) {
      if (c.setting() == Setting.FLINK_CONFIGURATION) {
        config.put(c.key(), c.to());
        String alias = TaskManagerMemoryModel.NETWORK_ALIASES.get(c.key());
        if (alias != null) {
          config.remove(alias);
        }
      }
    }
    try {
      return Optional.of(TaskManagerMemoryModel.derive(config));
    } catch (InvalidMemoryConfiguration e) {
      math.add("rejected, Flink would not start: " + e.getMessage());
      return Optional.empty();
    }
  }

  static boolean usesManagedMemoryForState(DeploymentView d) {
    return stateBackend(d).contains("rocksdb");
  }

  private static String stateBackend(DeploymentView d) {
    return FlinkOptions.STATE_BACKEND
        .in(d.effectiveConfiguration())
        .orElse(FlinkOptions.STATE_BACKEND.defaultValue().orElse("hashmap"))
        .toLowerCase(Locale.ROOT);
  }

  private static Outcome refuse(List<String> math, String why) {
    return new Outcome(List.of(), math, Optional.of(why));
  }
}
