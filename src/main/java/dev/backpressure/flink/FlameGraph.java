package dev.backpressure.flink;

import java.util.List;
import java.util.function.Predicate;

/**
 * A sampled flame graph of one vertex ({@code …/flamegraph?type=ON_CPU}), kept as the tree Flink
 * returns: frames named {@code class.method:line}, values counting samples.
 */
public record FlameGraph(long endTimestampMillis, Node root) {

  /** One frame and the samples that passed through it. */
  public record Node(String name, long value, List<Node> children) {
    public Node {
      children = List.copyOf(children);
    }
  }

  /** How many stack samples the graph holds. */
  public long samples() {
    return Math.max(0, root.value());
  }

  /**
   * The share of samples whose stack passes through a frame matching the predicate. A sample is
   * counted once, at the outermost matching frame, so nested matches do not add up twice.
   */
  public double shareOfSamples(Predicate<String> frame) {
    if (root.value() <= 0) {
      return 0;
    }
    return (double) matchingSamples(root, frame) / root.value();
  }

  private static long matchingSamples(Node node, Predicate<String> frame) {
    if (frame.test(node.name())) {
      return node.value();
    }
    long sum = 0;
    for (Node child : node.children()) {
      sum += matchingSamples(child, frame);
    }
    return sum;
  }
}
