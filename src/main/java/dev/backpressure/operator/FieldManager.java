package dev.backpressure.operator;

import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.net.URI;
import java.util.Set;

/**
 * Names the operator as the field manager of every write its client sends (its patches, status
 * updates, events and Lease, JOSDK's included), so that {@code managedFields}, and the GitOps tools
 * that read them, tell its changes apart from their owner's.
 */
public final class FieldManager implements Interceptor {

  /** The name in {@code managedFields[].manager} of everything the operator writes. */
  public static final String NAME = "flink-backpressure-operator";

  private static final Set<String> WRITES = Set.of("POST", "PUT", "PATCH");

  private FieldManager() {}

  /** The builder, with every write of the clients it builds named {@link #NAME}. */
  public static KubernetesClientBuilder on(KubernetesClientBuilder builder) {
    return builder.withHttpClientBuilderConsumer(
        http -> http.addOrReplaceInterceptor("fieldManager", new FieldManager()));
  }

  @Override
  public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
    if (!WRITES.contains(request.method())) {
      return;
    }
    URI uri = request.uri();
    String query = uri.getRawQuery();
    // A server-side apply names its manager itself.
    if (query != null && ("&" + query).contains("&fieldManager=")) {
      return;
    }
    builder.uri(URI.create(uri + (query == null ? "?" : "&") + "fieldManager=" + NAME));
  }
}
