package dev.backpressure.remediation;

/**
 * A TaskManager's memory, broken down the way Flink derives it at startup
 * (TaskExecutorProcessUtils). All sizes in bytes through {@link MemorySize}.
 */
public record TaskManagerMemory(
    MemorySize frameworkHeap,
    MemorySize frameworkOffHeap,
    MemorySize taskHeap,
    MemorySize taskOffHeap,
    MemorySize managed,
    MemorySize network,
    MemorySize metaspace,
    MemorySize overhead,
    MemorySize segmentSize) {

  public MemorySize totalFlink() {
    return frameworkHeap
        .plus(frameworkOffHeap)
        .plus(taskHeap)
        .plus(taskOffHeap)
        .plus(managed)
        .plus(network);
  }

  public MemorySize totalProcess() {
    return totalFlink().plus(metaspace).plus(overhead);
  }

  /** Network buffers ("memory segments") each TaskManager gets: network / segment size. */
  public long networkBuffers() {
    return network.bytes() / segmentSize.bytes();
  }
}
