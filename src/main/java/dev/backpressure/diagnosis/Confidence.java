package dev.backpressure.diagnosis;

/**
 * How sure a rule is of the cause it names, before the window's agreement scales it ({@link
 * Diagnosis#confidence()}). Each level is one kind of proof, so that two rules that know as much
 * say the same number.
 */
enum Confidence {
  /** Flink's own exception names the cause ("Insufficient number of network buffers"). */
  STATED_BY_FLINK(0.95),
  /** Nothing is backpressured: the figures that say so are the ones that would show it. */
  HEALTHY(0.9),
  /**
   * Every figure the rule needs was read and clears its threshold: busy everywhere (compute), on
   * one subtask (skew), in serializer frames (serialization), no free segments.
   */
  MEASURED(0.85),
  /**
   * The shape is certain but the reading is indirect: an iteration loop stuck all round, or
   * per-channel buffers set below Flink's defaults while the senders are full.
   */
  SHAPE_AND_SETTING(0.8),
  /**
   * Blocking calls are inferred from CPU time, which TaskManagers report coarsely and for all their
   * tasks together, not per vertex.
   */
  INFERRED_FROM_CPU(0.75),
  /**
   * Only buffer pool usage points at the network: pools fill for more than one reason, and Flink
   * reports no usage for local channels.
   */
  POOLS_ONLY(0.6),
  /** The cause, or the bottleneck itself, could not be told: said so, never acted on. */
  UNKNOWN(0.3);

  final double value;

  Confidence(double value) {
    this.value = value;
  }
}
