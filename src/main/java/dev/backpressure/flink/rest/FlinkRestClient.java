package dev.backpressure.flink.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Blocking GETs against one Flink REST endpoint, turning every way a request can go wrong into a
 * {@link ScrapeException} of a definite kind. Callers run these on a bounded pool to overlap them.
 */
public final class FlinkRestClient {

  /** Flink writes NaN for metrics such as the busy time of legacy sources. */
  private static final JsonMapper JSON =
      JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  private static final int BODY_EXCERPT = 200;
  private static final long DEADLINE_MARGIN_MS = 500;

  /**
   * The largest answer read by default: Flink's largest (a job's exceptions with their traces, the
   * configuration of a big cluster) stay well below it.
   */
  public static final long DEFAULT_MAX_ANSWER_BYTES = 8L << 20;

  private final URI baseUrl;
  private final Duration timeout;
  private final HttpClient http;
  private final long maxAnswerBytes;
  private final AtomicInteger requests = new AtomicInteger();

  public FlinkRestClient(URI baseUrl, Duration timeout) {
    this(httpClient(timeout), baseUrl, timeout, DEFAULT_MAX_ANSWER_BYTES);
  }

  public FlinkRestClient(HttpClient http, URI baseUrl, Duration timeout) {
    this(http, baseUrl, timeout, DEFAULT_MAX_ANSWER_BYTES);
  }

  /**
   * A client for one endpoint over a shared {@link HttpClient}: each HttpClient holds a selector
   * thread and its own connection pool, so an operator scraping hundreds of jobs shares one.
   *
   * @param maxAnswerBytes an answer larger than this is refused as it arrives ({@link
   *     ScrapeFailure#TOO_LARGE})
   */
  public FlinkRestClient(HttpClient http, URI baseUrl, Duration timeout, long maxAnswerBytes) {
    if (maxAnswerBytes <= 0) {
      throw new IllegalArgumentException("the answer size limit must be positive");
    }
    this.baseUrl = withoutTrailingSlash(baseUrl);
    this.timeout = timeout;
    this.http = http;
    this.maxAnswerBytes = maxAnswerBytes;
  }

  /** The HTTP client settings every Flink endpoint is read with. */
  public static HttpClient httpClient(Duration connectTimeout) {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  public URI baseUrl() {
    return baseUrl;
  }

  /** How many requests this client has sent, for the request budget of a snapshot. */
  public int requestCount() {
    return requests.get();
  }

  /** GETs a path (with its query) and parses the body as JSON. */
  public JsonNode get(String pathAndQuery) throws ScrapeException {
    URI uri = URI.create(baseUrl + pathAndQuery);
    HttpRequest request =
        HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json").build();
    requests.incrementAndGet();
    HttpResponse<String> response;
    try {
      response = exchange(request);
    } catch (HttpConnectTimeoutException e) {
      throw new ScrapeException(
          ScrapeFailure.UNREACHABLE,
          "cannot connect to " + baseUrl + " within " + timeout.toMillis() + " ms",
          e);
    } catch (HttpTimeoutException | TimeoutException e) {
      throw new ScrapeException(
          ScrapeFailure.TIMEOUT,
          "Flink at "
              + baseUrl
              + " did not answer "
              + pathAndQuery
              + " within "
              + timeout.toMillis()
              + " ms",
          e);
    } catch (BoundedBody.TooLarge e) {
      throw new ScrapeException(
          ScrapeFailure.TOO_LARGE,
          "Flink at "
              + baseUrl
              + " answered "
              + pathAndQuery
              + " with more than "
              + e.limit
              + " bytes; the answer was dropped there (if this Flink really answers that much,"
              + " raise the answer size limit)",
          e);
    } catch (ConnectException | UnresolvedAddressException | UnknownHostException e) {
      throw new ScrapeException(
          ScrapeFailure.UNREACHABLE,
          "cannot connect to "
              + baseUrl
              + ": check the address and that the Flink REST port is open",
          e);
    } catch (IOException e) {
      throw new ScrapeException(
          ScrapeFailure.UNREACHABLE, "connection to " + baseUrl + " failed: " + describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ScrapeException(ScrapeFailure.TIMEOUT, "interrupted while reading " + uri, e);
    }
    int status = response.statusCode();
    String body = response.body() == null ? "" : response.body();
    if (status < 200 || status >= 300) {
      throw new ScrapeException(
          status,
          "Flink at " + baseUrl + " answered HTTP " + status + " to " + pathAndQuery,
          flinkErrors(body));
    }
    try {
      return JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new ScrapeException(
          ScrapeFailure.MALFORMED,
          "Flink at " + baseUrl + " answered " + pathAndQuery + " with a body that is not JSON",
          excerpt(body),
          e);
    }
  }

  /**
   * Sends the request and waits for the whole response. The JDK's request timeout stops at the
   * headers: a server that sends them and then stalls the body would hold the caller forever.
   */
  private HttpResponse<String> exchange(HttpRequest request)
      throws IOException, InterruptedException, TimeoutException {
    CompletableFuture<HttpResponse<String>> pending =
        http.sendAsync(request, new BoundedBody(maxAnswerBytes));
    try {
      // A little past the connect and header timeouts, so that those report themselves.
      return pending.get(timeout.toMillis() + DEADLINE_MARGIN_MS, TimeUnit.MILLISECONDS);
    } catch (TimeoutException | InterruptedException e) {
      pending.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
        if (c instanceof BoundedBody.TooLarge tooLarge) {
          throw tooLarge;
        }
      }
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r; // as send() would have thrown it
      }
      throw new IOException(e.getCause());
    }
  }

  private static String describe(IOException e) {
    String message = e.getMessage();
    return message == null ? e.getClass().getSimpleName() : message;
  }

  /** Flink's error bodies are {"errors":["…"]}; anything else is shown as an excerpt. */
  private static String flinkErrors(String body) {
    try {
      JsonNode errors = JSON.readTree(body).path("errors");
      if (errors.isArray() && !errors.isEmpty()) {
        String first = errors.get(0).asText();
        int end = first.indexOf('\n');
        return end < 0 ? first : first.substring(0, end);
      }
    } catch (JsonProcessingException ignored) {
      // not Flink's error shape: fall through to an excerpt
    }
    return excerpt(body);
  }

  private static String excerpt(String body) {
    String flat = body.replaceAll("\\s+", " ").trim();
    if (flat.isEmpty()) {
      return "(empty body)";
    }
    return flat.length() <= BODY_EXCERPT ? flat : flat.substring(0, BODY_EXCERPT) + "…";
  }

  private static URI withoutTrailingSlash(URI uri) {
    String s = uri.toString();
    return s.endsWith("/") ? URI.create(s.substring(0, s.length() - 1)) : uri;
  }
}
