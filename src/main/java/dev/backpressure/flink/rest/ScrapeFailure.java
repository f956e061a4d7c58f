package dev.backpressure.flink.rest;

/** Why a snapshot could not be read; each kind says what the user should check. */
public enum ScrapeFailure {
  /** Nothing listens at the address, or the host does not resolve. */
  UNREACHABLE,
  /** The server accepted the connection but did not answer within the timeout. */
  TIMEOUT,
  /** Flink answered with an HTTP error status. */
  HTTP_STATUS,
  /** The body is not the JSON shape Flink documents. */
  MALFORMED,
  /** The answer is larger than the limit: a misbehaving endpoint, or a limit set too low. */
  TOO_LARGE,
  /** The answers hold values Flink cannot produce (busy 99999 ms/s, min above max, …). */
  IMPOSSIBLE,
  /** The server answers HTTP but is not a Flink REST endpoint. */
  NOT_FLINK,
  /** The job id does not exist on this cluster (or there is no single running job to pick). */
  NO_SUCH_JOB,
  /** The job has ended (finished, cancelled, failed for good, suspended). */
  JOB_NOT_RUNNING,
  /** The job runs but Flink has no metrics for some vertex yet (just started, or restarting). */
  METRICS_UNAVAILABLE
}
