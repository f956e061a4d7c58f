package dev.backpressure.flink;

/** A data exchange between two vertices, from {@code plan.nodes[].inputs}. */
public record Edge(String sourceId, String targetId, String shipStrategy, String exchange) {}
