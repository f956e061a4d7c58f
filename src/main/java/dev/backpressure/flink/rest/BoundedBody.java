package dev.backpressure.flink.rest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body read into text, refused as soon as it passes a byte cap. The request timeout
 * bounds time, not bytes: one endpoint answering gigabytes (or without end) would otherwise fill
 * the heap of the process that scrapes every job in the cluster.
 */
final class BoundedBody implements HttpResponse.BodyHandler<String> {

  /** The answer was larger than the cap; the connection was dropped at the cap. */
  static final class TooLarge extends IOException {
    final long limit;

    TooLarge(long limit) {
      super("answer larger than " + limit + " bytes");
      this.limit = limit;
    }
  }

  private final long limit;

  BoundedBody(long limit) {
    this.limit = limit;
  }

  @Override
  public HttpResponse.BodySubscriber<String> apply(HttpResponse.ResponseInfo info) {
    boolean announcedTooLarge = info.headers().firstValueAsLong("Content-Length").orElse(0) > limit;
    return new Reader(limit, announcedTooLarge);
  }

  private static final class Reader implements HttpResponse.BodySubscriber<String> {
    private final long limit;
    private final boolean refuseAtOnce;
    private final CompletableFuture<String> body = new CompletableFuture<>();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private Flow.Subscription subscription;

    Reader(long limit, boolean refuseAtOnce) {
      this.limit = limit;
      this.refuseAtOnce = refuseAtOnce;
    }

    @Override
    public CompletionStage<String> getBody() {
      return body;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      if (refuseAtOnce) {
        refuse();
      } else {
        subscription.request(Long.MAX_VALUE);
      }
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      if (body.isDone()) {
        return;
      }
      for (ByteBuffer buffer : buffers) {
        if (bytes.size() + (long) buffer.remaining() > limit) {
          refuse();
          return;
        }
        byte[] chunk = new byte[buffer.remaining()];
        buffer.get(chunk);
        bytes.write(chunk, 0, chunk.length);
      }
    }

    private void refuse() {
      // Completed first: the cancel closes the connection, which must not report its own error.
      body.completeExceptionally(new TooLarge(limit));
      subscription.cancel();
    }

    @Override
    public void onError(Throwable error) {
      body.completeExceptionally(error);
    }

    @Override
    public void onComplete() {
      body.complete(bytes.toString(StandardCharsets.UTF_8));
    }
  }
}
