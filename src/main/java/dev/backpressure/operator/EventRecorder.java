package dev.backpressure.operator;

import com.fasterxml.jackson.databind.ObjectMapper;
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
    Series before = series.get(key);
    if (before != null && before.written().plus(DEDUPE).isAfter(now)) {
      series.put(key, new Series(before.name(), before.count() + 1, before.written()));
      return;
    }
    series
        .entrySet()
        .removeIf(e -> e.getValue().written().plus(DEDUPE.multipliedBy(6)).isBefore(now));
    String time = now.toString();
    try {
      if (before == null) {
        String name = on.getMetadata().getName() + "." + digest(run + "/" + key);
        create(on, name, reason, text, time);
        series.put(key, new Series(name, 1, now));
      } else {
        int count = before.count() + 1;
        client
            .v1()
            .events()
            .inNamespace(on.getMetadata().getNamespace())
            .withName(before.name())
            .patch(
                PatchContext.of(PatchType.JSON_MERGE),
                JSON.createObjectNode()
                    .put("count", count)
                    .put("lastTimestamp", time)
                    .put("message", text)
                    .toString());
        series.put(key, new Series(before.name(), count, now));
      }
    } catch (KubernetesClientException e) {
      // Events are a report, not state: a lost one must not stop a reconcile. A series whose
      // Event is gone (expired, deleted) starts again at the next occurrence.
      series.remove(key);
      LOG.warn(
          "could not write event {} on {}: {}", reason, on.getMetadata().getName(), e.getMessage());
    }
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
