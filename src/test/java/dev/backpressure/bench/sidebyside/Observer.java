package dev.backpressure.bench.sidebyside;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Something that looks at one run of a job now and then, and may decide to change it. */
interface Observer {

  /** The time between the end of one look and the start of the next. */
  Duration every();

  /**
   * One look. Never throws: a scheduled task that throws stops its loop for good, which would read
   * as a decision never made.
   */
  void look();

  /** Completed with the first decision about this run. */
  CompletableFuture<Decision> decision();

  /** What else was seen, for a row without a decision: the last failure or error event. */
  Optional<String> aside();
}
