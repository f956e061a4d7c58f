package dev.backpressure.testing;

import java.io.FileReader;
import java.io.Reader;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The main class of a Flink cluster in a JVM of its own: a MiniCluster with one job, as an
 * application cluster runs one. It exists so that a Flink release other than the build's (Flink
 * 2.x, whose classes cannot share a classpath with 1.20) can run the scenario jobs; so it uses only
 * what both releases offer, and is driven over Flink's REST API like a real cluster.
 *
 * <p>Arguments: a properties file with the Flink configuration (plus {@code host.taskmanagers},
 * {@code host.slots}, {@code host.job}, {@code host.parallelism}, {@code host.name}). It prints
 * {@code job <id>} once the job is submitted and runs until its standard input closes.
 */
public final class FlinkHost {

  /** The line that tells the parent the job's id. */
  static final String JOB_LINE = "job ";

  private FlinkHost() {}

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable e) {
      // Flink's non-daemon threads would keep a failed host alive; the parent waits for the exit.
      e.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  private static void run(String[] args) throws Exception {
    Properties properties = new Properties();
    try (Reader in = new FileReader(args[0], java.nio.charset.StandardCharsets.UTF_8)) {
      properties.load(in);
    }
    Map<String, String> config = new HashMap<>();
    properties.stringPropertyNames().forEach(k -> config.put(k, properties.getProperty(k)));
    int taskManagers = Integer.parseInt(config.remove("host.taskmanagers"));
    int slots = Integer.parseInt(config.remove("host.slots"));
    ScenarioJob job = ScenarioJob.valueOf(config.remove("host.job"));
    int parallelism = Integer.parseInt(config.remove("host.parallelism"));
    String name = config.remove("host.name");

    Configuration configuration = Configuration.fromMap(config);
    MiniCluster cluster =
        new MiniCluster(
            new MiniClusterConfiguration.Builder()
                .setConfiguration(configuration)
                .setNumTaskManagers(taskManagers)
                .setNumSlotsPerTaskManager(slots)
                .build());
    try {
      cluster.start();
      URI rest = cluster.getRestAddress().get(60, TimeUnit.SECONDS);
      // As in an application cluster, the job sees the cluster's configuration (overrides and a
      // savepoint to restore among it), and is submitted over REST as a client would.
      StreamExecutionEnvironment env =
          StreamExecutionEnvironment.createRemoteEnvironment(
              rest.getHost(), rest.getPort(), configuration);
      JobClient submitted = job.build(env, parallelism).executeAsync(name);
      System.out.println(JOB_LINE + submitted.getJobID());
      System.out.flush();
      while (System.in.read() >= 0) {
        // Runs until the stand-in closes the pipe (or dies): the cluster's pods going away.
      }
    } finally {
      // Within the 30 s the parent gives before it kills the process.
      cluster.closeAsync().get(20, TimeUnit.SECONDS);
    }
  }
}
