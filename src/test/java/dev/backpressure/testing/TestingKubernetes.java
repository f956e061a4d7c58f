package dev.backpressure.testing;

import dev.backpressure.operator.FieldManager;
import dev.backpressure.operator.RequiredAccess;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRule;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRuleBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectRulesReviewStatusBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;

/**
 * A Kubernetes API for tests: Fabric8's mock server in CRUD mode, with the real FlinkDeployment CRD
 * (from the Flink operator's API jar) and our generated RemediationPolicy CRD created in it, so
 * that the status subresource behaves as on a cluster.
 */
public final class TestingKubernetes implements AutoCloseable {

  public static final String OUR_CRD = "crds/remediationpolicies.backpressure.dev-v1.yml";

  private final KubernetesMockServer server;
  private final Dispatcher dispatcher;
  private final KubernetesClient client;

  private TestingKubernetes(
      KubernetesMockServer server, Dispatcher dispatcher, KubernetesClient client) {
    this.server = server;
    this.dispatcher = dispatcher;
    this.client = client;
  }

  /**
   * The CRUD store, answering access reviews as well: alone it would store a SelfSubjectRulesReview
   * and hand it back without a status, where an API server says what the caller may do.
   */
  private static final class Dispatcher extends KubernetesCrudDispatcher {
    private static final String RULES_REVIEWS =
        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews";
    private volatile List<ResourceRule> granted = List.of();
    private final Queue<PatchHook> patchHooks = new ConcurrentLinkedQueue<>();

    /**
     * Runs before a PATCH of a path containing {@code pathPart}, {@code times} times; an answer
     * replaces the patch, none lets it through.
     */
    private record PatchHook(
        String pathPart, AtomicInteger times, Function<RecordedRequest, MockResponse> before) {}

    /**
     * The request without its query: the mock tells a status write by the path ending in /status,
     * and the operator's writes carry {@code ?fieldManager=}, which an API server takes and the
     * mock has no use for. The server's request log keeps the request as sent.
     */
    private static RecordedRequest withoutQuery(RecordedRequest r) {
      int q = r.getPath().indexOf('?');
      return q < 0
          ? r
          : new RecordedRequest(
              r.getHttpVersion(),
              r.method(),
              r.getPath().substring(0, q),
              r.getHeaders(),
              r.getBody());
    }

    @Override
    public MockResponse handleUpdate(RecordedRequest request) {
      return super.handleUpdate(withoutQuery(request));
    }

    @Override
    public MockResponse handlePatch(RecordedRequest request) {
      request = withoutQuery(request);
      for (PatchHook hook : patchHooks) {
        if (request.getPath().contains(hook.pathPart())) {
          if (hook.times().decrementAndGet() <= 0) {
            patchHooks.remove(hook);
          }
          MockResponse answer = hook.before().apply(request);
          if (answer != null) {
            return answer;
          }
          break;
        }
      }
      return super.handlePatch(request);
    }

    @Override
    public MockResponse handleCreate(RecordedRequest request) {
      if (!request.getPath().startsWith(RULES_REVIEWS)) {
        return super.handleCreate(withoutQuery(request));
      }
      SelfSubjectRulesReview review =
          Serialization.unmarshal(request.getUtf8Body(), SelfSubjectRulesReview.class);
      review.setStatus(
          new SubjectRulesReviewStatusBuilder()
              .withResourceRules(granted)
              .withIncomplete(false)
              .build());
      return new MockResponse().setResponseCode(201).setBody(Serialization.asJson(review));
    }
  }

  /** Held so that the setting sticks: the mock logs every request it answers at INFO. */
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  public static TestingKubernetes start() {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    Dispatcher dispatcher = new Dispatcher();
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init();
    // Short request timeouts: the mock answers at once or not at all, and a test should not wait
    // the default 10 s to find out.
    KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(server.createClient().getConfiguration())
                    .withRequestTimeout(3000)
                    // Refusals a test asks for reach the caller as they are, not retried away.
                    .withRequestRetryBackoffLimit(0)
                    .build())
            .build();
    TestingKubernetes k = new TestingKubernetes(server, dispatcher, client);
    k.createCrd(
        FlinkDeployment.class.getResourceAsStream(
            "/META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml"));
    try (InputStream ours = Files.newInputStream(Path.of(OUR_CRD))) {
      k.createCrd(ours);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return k;
  }

  private void createCrd(InputStream yaml) {
    CustomResourceDefinition crd = Serialization.unmarshal(yaml, CustomResourceDefinition.class);
    client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
  }

  public KubernetesClient client() {
    return client;
  }

  /**
   * An operator's client of the same API, built as the {@code operator} command builds its own
   * (every write names the operator's field manager), telling itself apart by its User-Agent in the
   * request log.
   */
  public KubernetesClient newClient(String userAgent) {
    return FieldManager.on(new KubernetesClientBuilder())
        .withConfig(new ConfigBuilder(client.getConfiguration()).withUserAgent(userAgent).build())
        .build();
  }

  /**
   * What a SelfSubjectRulesReview answers from now on, for every caller and namespace (nothing
   * until set): these rules, as an RBAC Role granting them would.
   */
  public void grant(List<RequiredAccess.Rule> rules) {
    dispatcher.granted =
        rules.stream()
            .map(
                rule ->
                    new ResourceRuleBuilder()
                        .withApiGroups(rule.apiGroup())
                        .withResources(rule.resource())
                        .withVerbs(List.copyOf(rule.verbs()))
                        .build())
            .toList();
  }

  /**
   * The next {@code times} PATCHes of a path containing {@code pathPart} are refused as an API
   * server refuses: this status code and a Status object with this reason and message, nothing
   * stored.
   */
  public void refusePatches(String pathPart, int times, int code, String reason, String message) {
    Status status =
        new StatusBuilder()
            .withStatus("Failure")
            .withCode(code)
            .withReason(reason)
            .withMessage(message)
            .build();
    dispatcher.patchHooks.add(
        new Dispatcher.PatchHook(
            pathPart,
            new AtomicInteger(times),
            request ->
                new MockResponse().setResponseCode(code).setBody(Serialization.asJson(status))));
  }

  public KubernetesMockServer server() {
    return server;
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
