package dev.backpressure.flink;

/**
 * One TaskManager from {@code /taskmanagers}. The RPC path tells whether it runs in its own process
 * ({@code pekko.tcp://flink@host:port/…}) or inside the JobManager's JVM, as in a MiniCluster
 * ({@code pekko://flink/…}), where all TaskManagers report the same process-wide JVM metrics.
 */
public record TaskManagerInfo(String id, String path, int cpuCores) {

  public boolean inProcess() {
    return path != null && !path.contains("@");
  }
}
