package dev.backpressure.flink;

/** A job vertex (a chain of operators running as one task) as the job graph reports it. */
public record Vertex(String id, String name, int parallelism, int maxParallelism, String status) {

  /** Names of the vertices Flink adds for a {@code DataStream.iterate()} feedback loop. */
  public boolean isIterationSource() {
    return name.startsWith("IterationSource-");
  }

  public boolean isIterationSink() {
    return name.startsWith("IterationSink-");
  }
}
