package dev.backpressure.flink;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The job's vertices and the exchanges between them; a DAG even for iterations. */
public record JobGraph(List<Vertex> vertices, List<Edge> edges) {

  public JobGraph {
    vertices = List.copyOf(vertices);
    edges = List.copyOf(edges);
  }

  public Optional<Vertex> vertex(String id) {
    return vertices.stream().filter(v -> v.id().equals(id)).findFirst();
  }

  public List<Vertex> inputsOf(String vertexId) {
    return edges.stream()
        .filter(e -> e.targetId().equals(vertexId))
        .map(e -> vertex(e.sourceId()))
        .flatMap(Optional::stream)
        .toList();
  }

  public List<Edge> inputEdgesOf(String vertexId) {
    return edges.stream().filter(e -> e.targetId().equals(vertexId)).toList();
  }

  public List<Vertex> outputsOf(String vertexId) {
    return edges.stream()
        .filter(e -> e.sourceId().equals(vertexId))
        .map(e -> vertex(e.targetId()))
        .flatMap(Optional::stream)
        .toList();
  }

  /** Vertices ordered so that every vertex comes after all of its inputs (sources first). */
  public List<Vertex> topologicalOrder() {
    Map<String, Integer> indegree = new LinkedHashMap<>();
    vertices.forEach(v -> indegree.put(v.id(), 0));
    edges.forEach(e -> indegree.computeIfPresent(e.targetId(), (k, n) -> n + 1));
    List<Vertex> order = new ArrayList<>();
    List<String> ready = new ArrayList<>();
    indegree.forEach(
        (id, n) -> {
          if (n == 0) {
            ready.add(id);
          }
        });
    while (!ready.isEmpty()) {
      String id = ready.remove(0);
      vertex(id).ifPresent(order::add);
      for (Edge e : edges) {
        if (e.sourceId().equals(id)
            && indegree.computeIfPresent(e.targetId(), (k, n) -> n - 1) == 0) {
          ready.add(e.targetId());
        }
      }
    }
    return order;
  }

  /**
   * The feedback loops of {@code DataStream.iterate()}: each is the set of vertex ids on a path
   * from an {@code IterationSource-<id>} to the {@code IterationSink-<id>} of the same loop, both
   * ends included.
   */
  public List<Set<String>> iterationLoops() {
    List<Set<String>> loops = new ArrayList<>();
    for (Vertex head : vertices) {
      if (!head.isIterationSource()) {
        continue;
      }
      String loopId = head.name().substring("IterationSource-".length());
      Optional<Vertex> tail =
          vertices.stream().filter(v -> v.name().equals("IterationSink-" + loopId)).findFirst();
      if (tail.isEmpty()) {
        continue;
      }
      Set<String> fromHead = reachable(head.id(), true);
      Set<String> toTail = reachable(tail.get().id(), false);
      Set<String> loop = new LinkedHashSet<>();
      for (Vertex v : vertices) {
        if (fromHead.contains(v.id()) && toTail.contains(v.id())) {
          loop.add(v.id());
        }
      }
      loop.add(head.id());
      loop.add(tail.get().id());
      loops.add(loop);
    }
    return loops;
  }

  private Set<String> reachable(String start, boolean downstream) {
    Set<String> seen = new LinkedHashSet<>();
    List<String> todo = new ArrayList<>(List.of(start));
    while (!todo.isEmpty()) {
      String id = todo.remove(todo.size() - 1);
      if (!seen.add(id)) {
        continue;
      }
      for (Edge e : edges) {
        if (downstream && e.sourceId().equals(id)) {
          todo.add(e.targetId());
        } else if (!downstream && e.targetId().equals(id)) {
          todo.add(e.sourceId());
        }
      }
    }
    return seen;
  }
}
