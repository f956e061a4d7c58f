package dev.backpressure.operator;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Kubernetes events on FlinkDeployments and policies. The same reason and message on the
 * same object is written once per {@link #DEDUPE} window: a job that stays backpressured for an
 * hour gets one event, not one per scrape. Messages are cut to 1 KiB.
 */
final class EventRecorder {

  static final Duration DEDUPE = Duration.ofMinutes(10);
  static final String COMPONENT = "flink-backpressure-operator";
  private static final int MAX_MESSAGE = 1024;
  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

  private final KubernetesClient client;
  private final Clock clock;
  private final Map<String, Instant> recent = new ConcurrentHashMap<>();

  EventRecorder(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  void record(HasMetadata on, EventReason reason, String message) {
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
            + text;
    Instant now = clock.instant();
    Instant last = recent.get(key);
    if (last != null && last.plus(DEDUPE).isAfter(now)) {
      return;
    }
    recent.put(key, now);
    recent.entrySet().removeIf(e -> e.getValue().plus(DEDUPE).isBefore(now));
    String time = now.toString();
    try {
      client
          .v1()
          .events()
          .inNamespace(on.getMetadata().getNamespace())
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(
                      on.getMetadata().getName()
                          + "."
                          + UUID.randomUUID().toString().substring(0, 13).replace("-", ""))
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
    } catch (KubernetesClientException e) {
      // Events are a report, not state: a lost one must not stop a reconcile.
      LOG.warn(
          "could not write event {} on {}: {}", reason, on.getMetadata().getName(), e.getMessage());
    }
  }
}
