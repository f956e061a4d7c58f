package dev.backpressure.remediation;

/**
 * The bounds a policy puts on the planner.
 *
 * @param maxParallelism no vertex is scaled above this
 * @param maxStepFactor one change multiplies a vertex's parallelism by at most this
 * @param targetUtilization the busy share the scaled vertex should run at (headroom for peaks)
 * @param maxNetworkMemory network memory per TaskManager is never raised above this
 * @param allowTaskManagerMemoryGrowth whether the TaskManager may get more memory in total, or the
 *     network memory must come out of what it has
 * @param allowCyclicBufferFix whether a deadlocked iteration may get more buffers (brittle: it only
 *     delays the next deadlock)
 * @param allowScaleForSerialization whether a serialization-bound vertex may be scaled
 */
public record RemedyLimits(
    int maxParallelism,
    double maxStepFactor,
    double targetUtilization,
    MemorySize maxNetworkMemory,
    boolean allowTaskManagerMemoryGrowth,
    boolean allowCyclicBufferFix,
    boolean allowScaleForSerialization) {

  public static final RemedyLimits DEFAULTS =
      new RemedyLimits(128, 4.0, 0.7, MemorySize.parse("1g"), false, false, false);
}
