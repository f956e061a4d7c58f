package dev.backpressure.testing;

import java.util.function.BiFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The scenario jobs a deployment can run, by name: a Flink in another JVM ({@link FlinkHost}) is
 * told which one to build. Each is built from calls that Flink 1.20 and 2.x both offer, so the
 * classes compiled against 1.20 run on 2.x; {@link ScenarioJobs} also holds jobs that use what 2.0
 * removed (iterations), which is fine as long as only these methods are called there.
 */
public enum ScenarioJob {
  COMPUTE_BOTTLENECK(ScenarioJobs::computeBottleneck),
  SATURATED_BACKEND(ScenarioJobs::saturatedBackend),
  PACED_HOT_KEY(ScenarioJobs::pacedHotKey),
  PACED_WIDE_SHUFFLE(ScenarioJobs::pacedWideShuffle);

  private final BiFunction<StreamExecutionEnvironment, Integer, StreamExecutionEnvironment> build;

  ScenarioJob(BiFunction<StreamExecutionEnvironment, Integer, StreamExecutionEnvironment> build) {
    this.build = build;
  }

  public StreamExecutionEnvironment build(StreamExecutionEnvironment env, int parallelism) {
    return build.apply(env, parallelism);
  }
}
