package dev.backpressure.bench.sidebyside;

import dev.backpressure.remediation.ParallelismOverrides;
import dev.backpressure.testing.Scenario;
import java.util.HashMap;
import java.util.Map;

/**
 * What a decision changes between two starts of a job: the Flink configuration laid over the
 * cluster's, and the job's parallelism.
 */
record Deployed(Map<String, String> configuration, int parallelism) {

  Deployed {
    configuration = Map.copyOf(configuration);
  }

  /** As the scenario's FlinkDeployment starts it. */
  static Deployed initial(Scenario scenario) {
    Scenario.Deployment d = scenario.deployment().orElseThrow();
    return new Deployed(d.flinkConfiguration(), d.parallelism());
  }

  /** The parallelism of the widest vertex: the slots the job needs, with slot sharing. */
  int highestParallelism() {
    return ParallelismOverrides.parse(configuration.getOrDefault(ParallelismOverrides.KEY, ""))
        .values()
        .stream()
        .reduce(parallelism, Math::max);
  }

  Deployed with(String key, String value) {
    Map<String, String> c = new HashMap<>(configuration);
    c.put(key, value);
    return new Deployed(c, parallelism);
  }

  Deployed withParallelism(int p) {
    return new Deployed(configuration, p);
  }
}
