package dev.backpressure.cli;

/** Exit codes of the command line, documented in the README and in {@code diagnose --help}. */
final class ExitCodes {
  /** No sustained backpressure. */
  static final int HEALTHY = 0;

  /** Sustained backpressure (or a job failing for lack of network buffers) was diagnosed. */
  static final int BACKPRESSURE = 1;

  /** Bad usage, or Flink could not be read: nothing was diagnosed. */
  static final int ERROR = 2;

  private ExitCodes() {}
}
