package dev.backpressure.flink;

/**
 * The task metrics read per vertex, with their exact Flink names (the {@code Shuffle.Netty.*} names
 * exist in Flink 1.17 to 2.1; the legacy {@code buffers.*} ones were removed in 2.0).
 */
public enum VertexMetric {
  BACK_PRESSURED("backPressuredTimeMsPerSecond"),
  BUSY("busyTimeMsPerSecond"),
  IDLE("idleTimeMsPerSecond"),
  RECORDS_IN("numRecordsInPerSecond"),
  RECORDS_OUT("numRecordsOutPerSecond"),
  /**
   * The counter behind {@link #RECORDS_OUT}. The meter averages the last minute, and over a task's
   * first minute that minute starts at zero; the counter's growth is exact from the first second.
   */
  RECORDS_OUT_TOTAL("numRecordsOut"),
  OUT_POOL_USAGE("Shuffle.Netty.Output.Buffers.outPoolUsage"),
  IN_POOL_USAGE("Shuffle.Netty.Input.Buffers.inPoolUsage"),
  IN_FLOATING_USAGE("Shuffle.Netty.Input.Buffers.inputFloatingBuffersUsage"),
  IN_EXCLUSIVE_USAGE("Shuffle.Netty.Input.Buffers.inputExclusiveBuffersUsage"),
  BYTES_IN_REMOTE("numBytesInRemotePerSecond");

  private final String flinkName;

  VertexMetric(String flinkName) {
    this.flinkName = flinkName;
  }

  public String flinkName() {
    return flinkName;
  }
}
