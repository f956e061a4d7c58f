package dev.backpressure.flink.rest;

/**
 * A typed failure to read from Flink REST; its message is one line meant for the user, in our own
 * words: what the server answered, if anything, is kept apart in {@link #answered()}.
 */
public final class ScrapeException extends Exception {
  private final ScrapeFailure failure;
  private final int httpStatus;
  private final String answered;

  public ScrapeException(ScrapeFailure failure, String message) {
    this(failure, message, "", null);
  }

  public ScrapeException(ScrapeFailure failure, String message, Throwable cause) {
    this(failure, message, "", cause);
  }

  /** A failure about an answer, with an excerpt of what the server said. */
  public ScrapeException(ScrapeFailure failure, String message, String answered, Throwable cause) {
    super(message, cause);
    this.failure = failure;
    this.httpStatus = 0;
    this.answered = answered;
  }

  /** Flink answered with an error status; kept so that callers can tell a 404 from a 500. */
  public ScrapeException(int httpStatus, String message, String answered) {
    super(message);
    this.failure = ScrapeFailure.HTTP_STATUS;
    this.httpStatus = httpStatus;
    this.answered = answered;
  }

  /** The HTTP status Flink answered with, or 0 when the failure was not an HTTP status. */
  public int httpStatus() {
    return httpStatus;
  }

  public ScrapeFailure failure() {
    return failure;
  }

  /**
   * An excerpt of the server's answer, or empty. Kept out of the message: the operator writes
   * messages into events and status, where a tenant would read what any host it named answered; the
   * command line, run against an address its own user chose, shows both.
   */
  public String answered() {
    return answered;
  }
}
