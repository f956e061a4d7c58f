package dev.backpressure.flink;

/** The TaskManager metrics read per snapshot, aggregated over all TaskManagers of the cluster. */
public enum TaskManagerMetric {
  CPU_LOAD("Status.JVM.CPU.Load"),
  /** Cumulative process CPU time in nanoseconds; its rate between snapshots is cores in use. */
  CPU_TIME("Status.JVM.CPU.Time"),
  SEGMENTS_AVAILABLE("Status.Shuffle.Netty.AvailableMemorySegments"),
  SEGMENTS_TOTAL("Status.Shuffle.Netty.TotalMemorySegments");

  private final String flinkName;

  TaskManagerMetric(String flinkName) {
    this.flinkName = flinkName;
  }

  public String flinkName() {
    return flinkName;
  }
}
