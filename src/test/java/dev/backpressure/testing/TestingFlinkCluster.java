package dev.backpressure.testing;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;

/**
 * A real Flink (MiniCluster) with its REST endpoint on a random loopback port, for tests and the
 * playground that need genuine metrics.
 */
public final class TestingFlinkCluster implements AutoCloseable {

  private final MiniCluster cluster;
  private final URI restUrl;

  private TestingFlinkCluster(MiniCluster cluster, URI restUrl) {
    this.cluster = cluster;
    this.restUrl = restUrl;
  }

  /** A builder starting from the settings every test cluster needs (fast metric fetches). */
  public static Builder builder() {
    return new Builder();
  }

  public URI restUrl() {
    return restUrl;
  }

  public MiniCluster miniCluster() {
    return cluster;
  }

  /**
   * Submits the job the environment describes and returns its id once the cluster has accepted it
   * (not yet RUNNING: {@link #awaitStatus} waits for that).
   */
  public JobID submit(StreamExecutionEnvironment env, String name) throws Exception {
    return submit(env, name, SavepointRestoreSettings.none());
  }

  /** Submits the job, restoring it as the settings say (a savepoint path, or nothing). */
  public JobID submit(StreamExecutionEnvironment env, String name, SavepointRestoreSettings restore)
      throws Exception {
    StreamGraph streamGraph = env.getStreamGraph();
    streamGraph.setJobName(name);
    JobGraph graph = streamGraph.getJobGraph();
    graph.setSavepointRestoreSettings(restore);
    return cluster.submitJob(graph).get(30, TimeUnit.SECONDS).getJobID();
  }

  /** Waits until the job reaches the status, polling the cluster (no fixed sleeps). */
  public void awaitStatus(JobID id, JobStatus status, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    JobStatus current = null;
    while (System.nanoTime() < deadline) {
      current = cluster.getJobStatus(id).get(10, TimeUnit.SECONDS);
      if (current == status) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
    throw new AssertionError(
        "job " + id + " is " + current + ", not " + status + " after " + timeout);
  }

  public void cancel(JobID id) throws Exception {
    JobStatus status = cluster.getJobStatus(id).get(10, TimeUnit.SECONDS);
    if (status.isGloballyTerminalState()) {
      return;
    }
    cluster.cancelJob(id).get(30, TimeUnit.SECONDS);
    awaitStatus(id, JobStatus.CANCELED, Duration.ofSeconds(30));
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }

  /** Settings for a cluster; one slot per TaskManager makes exchanges cross Netty (real pools). */
  public static final class Builder {
    private final Configuration config = new Configuration();
    private int taskManagers = 1;
    private int slotsPerTaskManager = 4;

    private Builder() {
      config.setString(RestOptions.ADDRESS.key(), "127.0.0.1");
      config.setString(RestOptions.BIND_ADDRESS.key(), "127.0.0.1");
      config.setString(RestOptions.BIND_PORT.key(), "0");
      // The string key: the typed option changed type between 1.19 and 1.20.
      config.setString("metrics.fetcher.update-interval", "500");
      config.setString(TaskManagerOptions.MANAGED_MEMORY_SIZE.key(), "16m");
    }

    public Builder taskManagers(int count, int slotsEach) {
      this.taskManagers = count;
      this.slotsPerTaskManager = slotsEach;
      return this;
    }

    /** A fixed REST port, so that a cluster started again is found at the same address. */
    public Builder restPort(int port) {
      config.setString(RestOptions.BIND_PORT.key(), Integer.toString(port));
      return this;
    }

    public Builder set(String key, String value) {
      config.setString(key, value);
      return this;
    }

    /** The configuration so far, as a Flink configuration file would hold it. */
    public Map<String, String> configuration() {
      return config.toMap();
    }

    public int taskManagerCount() {
      return taskManagers;
    }

    public int slotsPerTaskManager() {
      return slotsPerTaskManager;
    }

    public TestingFlinkCluster start() throws Exception {
      MiniClusterConfiguration mc =
          new MiniClusterConfiguration.Builder()
              .setConfiguration(config)
              .setNumTaskManagers(taskManagers)
              .setNumSlotsPerTaskManager(slotsPerTaskManager)
              .build();
      MiniCluster cluster = new MiniCluster(mc);
      cluster.start();
      URI rest = cluster.getRestAddress().get(30, TimeUnit.SECONDS);
      return new TestingFlinkCluster(cluster, rest);
    }
  }
}
