package dev.backpressure.operator;

import dev.backpressure.flink.rest.FlinkRestClient;
import java.time.Duration;

/**
 * How the operator reads Flink, set by whoever runs it (command line, chart) and never by a policy:
 * these bound what one tenant's jobs can cost the others.
 *
 * @param threads deployments scraped at once
 * @param requestTimeout of each Flink REST request
 * @param maxAnswerBytes the largest Flink REST answer read; a larger one fails the snapshot
 * @param addresses the hosts a policy's REST address may name
 */
public record ScrapeSettings(
    int threads, Duration requestTimeout, long maxAnswerBytes, RestAddresses addresses) {

  public ScrapeSettings {
    if (threads < 1) {
      throw new IllegalArgumentException("at least one scrape thread is needed, got " + threads);
    }
  }

  /** The command line's defaults: 8 threads, 10 s, 8 MiB, each deployment's own REST service. */
  public static final ScrapeSettings DEFAULTS =
      new ScrapeSettings(
          8,
          Duration.ofSeconds(10),
          FlinkRestClient.DEFAULT_MAX_ANSWER_BYTES,
          RestAddresses.DEFAULT);

  public ScrapeSettings withThreads(int n) {
    return new ScrapeSettings(n, requestTimeout, maxAnswerBytes, addresses);
  }

  public ScrapeSettings withRequestTimeout(Duration d) {
    return new ScrapeSettings(threads, d, maxAnswerBytes, addresses);
  }

  public ScrapeSettings withAddresses(RestAddresses a) {
    return new ScrapeSettings(threads, requestTimeout, maxAnswerBytes, a);
  }
}
