package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.testing.Await;
import dev.backpressure.testing.TestingClock;
import dev.backpressure.testing.TestingFlinkDeployments;
import dev.backpressure.testing.TestingFlinkRestServer;
import dev.backpressure.testing.TestingFlinkRestServer.Fixture;
import dev.backpressure.testing.TestingKubernetes;
import dev.backpressure.testing.TestingPolicies;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
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
 * otherwise go on reconciling. A replica that is closed on purpose is not one that lost. A stand-by
 * leaves Flink alone: its scrapes would only add load on every JobManager.
 */
class LeaderElectionIT {

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

  @Test
  void aStandByReplicaLeavesFlinkAloneUntilItLeads() throws Exception {
    try (TestingKubernetes k8s = TestingKubernetes.start();
        TestingFlinkRestServer flink =
            TestingFlinkRestServer.replaying(Fixture.load("/fixtures/flink-1.20.3/compute.json"))) {
      k8s.grant(List.of(RequiredAccess.LEASES));
      KubernetesClient test = k8s.client();
      TestingFlinkDeployments.running("orders").createIn(test);
      test.resource(
              TestingPolicies.quick(
                  "fix", RemediationPolicySpec.Mode.DryRun, flink.url().toString()))
          .create();
      // Another replica leads, for an hour.
      test.resource(
              new LeaseBuilder()
                  .withNewMetadata()
                  .withName(OperatorRuntime.LEASE_NAME)
                  .withNamespace("default")
                  .endMetadata()
                  .withNewSpec()
                  .withHolderIdentity("replica-z")
                  .withLeaseDurationSeconds(3600)
                  .withAcquireTime(ZonedDateTime.now())
                  .withRenewTime(ZonedDateTime.now())
                  .endSpec()
                  .build())
          .create();
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      KubernetesClient replica = k8s.newClient("replica-b");
      try (OperatorRuntime.Running standBy =
          TestingOperator.start(
              replica,
              new TestingClock(Instant.parse("2026-03-02T10:00:00Z")),
              registry,
              Optional.of("default"),
              () -> {})) {
        Await.until(
            "two polls on the stand-by",
            () -> registry.counter("backpressure.scrape.standby").count(),
            n -> n >= 2,
            Duration.ofSeconds(30));
        assertThat(flink.requestCount()).as("requests to Flink from a stand-by").isZero();
        assertThat(standBy.ready()).as("a stand-by is ready").isTrue();

        // The other replica is gone: its lease runs out, and this one takes over.
        Await.until(
            "the other replica's lease run out",
            () -> {
              Lease l = lease(test);
              l.getSpec().setLeaseDurationSeconds(1);
              l.getSpec().setRenewTime(ZonedDateTime.now().minusHours(1));
              return test.resource(l).update();
            },
            l -> l.getSpec().getLeaseDurationSeconds() == 1,
            Duration.ofSeconds(10));
        Await.until(
            "scrapes by the new leader", flink::requestCount, n -> n > 0, Duration.ofSeconds(60));
        assertThat(lease(test).getSpec().getHolderIdentity()).isNotEqualTo("replica-z");
      } finally {
        replica.close();
      }
    }
  }

  private static Lease lease(KubernetesClient client) {
    return client.leases().inNamespace("default").withName(OperatorRuntime.LEASE_NAME).get();
  }
}
