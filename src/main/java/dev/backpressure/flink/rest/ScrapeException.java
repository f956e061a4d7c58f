package dev.backpressure.flink.rest;

/** A typed failure to read from Flink REST; its message is one line meant for the user. */
public final class ScrapeException extends Exception {
  private final ScrapeFailure failure;
  private final int httpStatus;

  public ScrapeException(ScrapeFailure failure, String message) {
    this(failure, message, null);
  }

  public ScrapeException(ScrapeFailure failure, String message, Throwable cause) {
    super(message, cause);
    this.failure = failure;
    this.httpStatus = 0;
  }

  /** Flink answered with an error status; kept so that callers can tell a 404 from a 500. */
  public ScrapeException(int httpStatus, String message) {
    super(message);
    this.failure = ScrapeFailure.HTTP_STATUS;
    this.httpStatus = httpStatus;
  }

  /** The HTTP status Flink answered with, or 0 when the failure was not an HTTP status. */
  public int httpStatus() {
    return httpStatus;
  }

  public ScrapeFailure failure() {
    return failure;
  }
}
