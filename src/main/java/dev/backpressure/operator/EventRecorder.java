package dev.backpressure.operator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Kubernetes events on FlinkDeployments and policies, one series per object, reason and
 * subject: a repeat updates the series' Event (its count, last time and latest words) instead of
 * adding one, and is written at most once per {@link #DEDUPE} window, so that a job backpressured
 * for an hour shows one line, not one per scrape. Names are stable within a run of the operator;
 * after a restart a series starts afresh. Messages are cut to 1 KiB.
 */
final class EventRecorder {

  static final Duration DEDUPE = Duration.ofMinutes(10);

  /** How long the API server keeps an Event after its last write, by default. */
  static final Duration TTL = Duration.ofHours(1);

  static final String COMPONENT = "flink-backpressure-operator";
  private static final int MAX_MESSAGE = 1024;
  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

  /** One series: its Event's name, the occurrences so far, when it was last written. */
  private record Series(String name, int count, Instant written) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final Clock clock;
  private final String run = UUID.randomUUID().toString();
  private final Map<String, Series> series = new ConcurrentHashMap<>();

  EventRecorder(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /** An event whose words are its subject: the same words again are the same series. */
  void record(HasMetadata on, EventReason reason, String message) {
    record(on, reason, message, message);
  }

  /**
   * @param subject what makes two occurrences one series (for a diagnosis its cause and vertex, not
   *     the figures its words carry)
   */
  void record(HasMetadata on, EventReason reason, String subject, String message) {
    String text =
        message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE - 1) + "…";
    String key =
        on.getKind()
            + "/"
            + on.getMetadata().getNamespace()
            + "/"
            + on.getMetadata().getName()
            + "/"
            + reason
            + "/"
            + subject;
    Instant now = clock.instant();
    // The API server drops an Event an hour after its last write (its default TTL): a series
    // silent that long starts again rather than patching what may be gone.
    series.entrySet().removeIf(e -> e.getValue().written().plus(TTL).isBefore(now));
    Series before = series.get(key);
    if (before != null && before.written().plus(DEDUPE).isAfter(now)) {
      series.put(key, new Series(before.name(), before.count() + 1, before.written()));
      return;
    }
    String name =
        before != null ? before.name() : on.getMetadata().getName() + "." + digest(run + "/" + key);
    int count = before == null ? 1 : before.count() + 1;
    // Written or not, the series waits out its window: a failing API is not asked every pass.
    series.put(key, new Series(name, count, now));
    String time = now.toString();
    try {
      if (before == null) {
        createOrTouch(on, name, reason, text, time);
      } else {
        try {
          patch(on, name, count, text, time);
        } catch (KubernetesClientException e) {
          if (e.getCode() != 404) {
            throw e;
          }
          // Expired or deleted meanwhile: the series goes on in a new Event.
          create(on, name, reason, text, time);
        }
      }
    } catch (KubernetesClientException e) {
      // Events are a report, not state: a lost one must not stop a reconcile.
      LOG.warn(
          "could not write event {} on {}: {}", reason, on.getMetadata().getName(), e.getMessage());
    }
  }

  /** Creates the series' Event; one this run wrote before (then forgot) is brought up to date. */
  private void createOrTouch(
      HasMetadata on, String name, EventReason reason, String text, String time) {
    try {
      create(on, name, reason, text, time);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      // Its count is not known here: left as it is.
      patch(on, name, JSON.createObjectNode(), text, time);
    }
  }

  private void patch(HasMetadata on, String name, int count, String text, String time) {
    patch(on, name, JSON.createObjectNode().put("count", count), text, time);
  }

  private void patch(HasMetadata on, String name, ObjectNode fields, String text, String time) {
    client
        .v1()
        .events()
        .inNamespace(on.getMetadata().getNamespace())
        .withName(name)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            fields.put("lastTimestamp", time).put("message", text).toString());
  }

  private void create(HasMetadata on, String name, EventReason reason, String text, String time) {
    client
        .v1()
        .events()
        .inNamespace(on.getMetadata().getNamespace())
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(on.getMetadata().getNamespace())
                .endMetadata()
                .withInvolvedObject(
                    new ObjectReferenceBuilder()
                        .withApiVersion(on.getApiVersion())
                        .withKind(on.getKind())
                        .withName(on.getMetadata().getName())
                        .withNamespace(on.getMetadata().getNamespace())
                        .withUid(on.getMetadata().getUid())
                        .build())
                .withReason(reason.name())
                .withMessage(text)
                .withType(reason.type())
                .withFirstTimestamp(time)
                .withLastTimestamp(time)
                .withCount(1)
                .withNewSource()
                .withComponent(COMPONENT)
                .endSource()
                .withReportingComponent(COMPONENT)
                .build())
        .create();
  }

  /** A short, stable, DNS-safe digest: the Event name's suffix. */
  private static String digest(String text) {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
