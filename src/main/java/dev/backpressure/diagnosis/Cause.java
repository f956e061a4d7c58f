package dev.backpressure.diagnosis;

/** The causes of backpressure the classifier tells apart. */
public enum Cause {
  HEALTHY("healthy", "no sustained backpressure"),
  COMPUTE_BOTTLENECK("compute bottleneck", "the bottleneck's subtasks are all busy computing"),
  DATA_SKEW("data skew", "one or a few subtasks of the bottleneck do most of the work"),
  TOO_FEW_NETWORK_BUFFERS("too few network buffers", "the TaskManagers ran out of network memory"),
  BUFFERS_PER_CHANNEL(
      "buffers per channel misconfigured",
      "exclusive or floating buffers per channel are set below what keeps data flowing"),
  SERIALIZATION("serialization overhead", "the bottleneck spends its CPU in serializers"),
  NETWORK_LATENCY(
      "network latency", "data waits in the network: senders are full, receivers idle and empty"),
  CYCLIC_DEADLOCK(
      "deadlock in a cyclic graph", "an iteration's feedback loop filled up and stopped moving"),
  BLOCKING_IO("blocking I/O", "the bottleneck is busy but waits off-CPU, typically on I/O"),
  UNKNOWN("unknown", "backpressure whose cause the available metrics do not show");

  private final String title;
  private final String meaning;

  Cause(String title, String meaning) {
    this.title = title;
    this.meaning = meaning;
  }

  public String title() {
    return title;
  }

  public String meaning() {
    return meaning;
  }
}
