package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.testing.Await;
import dev.backpressure.testing.TestingClock;
import dev.backpressure.testing.TestingKubernetes;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two replicas must never both act: a replica whose Lease another one took while it ran gives up
 * (in the operator command the process exits and the pod restarts as a stand-by), since JOSDK would
 * otherwise go on reconciling. A replica that is closed on purpose is not one that lost.
 */
class LeaderElectionTest {

  @Test
  void aReplicaWhoseLeaseAnotherTookGivesUp() throws Exception {
    try (TestingKubernetes k8s = TestingKubernetes.start()) {
      k8s.grant(List.of(RequiredAccess.LEASES));
      KubernetesClient test = k8s.client();
      KubernetesClient replica = k8s.newClient("replica-a");
      CountDownLatch lost = new CountDownLatch(1);
      try (OperatorRuntime.Running operator =
          TestingOperator.start(
              replica,
              new TestingClock(Instant.parse("2026-03-02T10:00:00Z")),
              new SimpleMeterRegistry(),
              Optional.of("default"),
              lost::countDown)) {
        Lease held =
            Await.until(
                "the lease taken",
                () -> lease(test),
                l -> l.getSpec().getHolderIdentity() != null,
                Duration.ofSeconds(30));
        assertThat(lost.getCount()).as("lost before anyone else took the lease").isEqualTo(1);

        // Another replica holds it now, for an hour (as after this one's renewals failed).
        Await.until(
            "the lease handed to another replica",
            () -> {
              Lease l = lease(test);
              l.getSpec().setHolderIdentity("replica-b");
              l.getSpec().setRenewTime(ZonedDateTime.now());
              l.getSpec().setLeaseDurationSeconds(3600);
              // Optimistic locking: a renewal in between is a conflict, and Await tries again.
              return test.resource(l).update();
            },
            l -> "replica-b".equals(l.getSpec().getHolderIdentity()),
            Duration.ofSeconds(10));
        assertThat(lost.await(30, TimeUnit.SECONDS))
            .as("%s gave up the lead", held.getSpec().getHolderIdentity())
            .isTrue();
        assertThat(lease(test).getSpec().getHolderIdentity()).isEqualTo("replica-b");
      } finally {
        replica.close();
      }
    }
  }

  private static Lease lease(KubernetesClient client) {
    return client.leases().inNamespace("default").withName(OperatorRuntime.LEASE_NAME).get();
  }
}
