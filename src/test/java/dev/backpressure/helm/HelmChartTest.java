package dev.backpressure.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.backpressure.operator.RequiredAccess;
import dev.backpressure.operator.RestAddresses;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The chart through real helm (helm-java): lint, render with several value sets, check RBAC. */
class HelmChartTest {

  private static final Path CHART = Path.of("helm");

  private static List<HasMetadata> template(String... sets) {
    var t =
        new Helm(CHART).template().withName("bpo").withNamespace("ops").withKubeVersion("1.30.0");
    for (int i = 0; i + 1 < sets.length; i += 2) {
      t = t.set(sets[i], sets[i + 1]);
    }
    String yaml = t.call();
    List<HasMetadata> objects = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      if (doc.isBlank() || !doc.contains("kind:")) {
        continue;
      }
      Object o =
          Serialization.unmarshal(new ByteArrayInputStream(doc.getBytes(StandardCharsets.UTF_8)));
      if (o instanceof KubernetesList l) {
        objects.addAll(l.getItems());
      } else if (o instanceof HasMetadata h) {
        objects.add(h);
      }
    }
    return objects;
  }

  private static Set<String> grants(List<PolicyRule> rules) {
    Set<String> out = new HashSet<>();
    for (PolicyRule r : rules) {
      for (String g : r.getApiGroups()) {
        for (String res : r.getResources()) {
          for (String v : r.getVerbs()) {
            out.add(g + "/" + res + ":" + v);
          }
        }
      }
    }
    return out;
  }

  @Test
  void lintsStrictly() {
    LintResult result = new Helm(CHART).lint().strict().call();
    assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
  }

  @Test
  void watchingAllNamespacesGrantsAClusterRoleWithExactlyWhatTheOperatorNeeds() {
    List<HasMetadata> objects = template();
    List<ClusterRole> roles = operatorClusterRoles(objects);
    assertThat(roles)
        .singleElement()
        .satisfies(
            r ->
                assertThat(grants(r.getRules()))
                    .isEqualTo(RequiredAccess.permissions(RequiredAccess.NAMESPACED)));
    List<Role> leases = objects.stream().filter(o -> o instanceof Role).map(o -> (Role) o).toList();
    assertThat(leases)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getMetadata().getNamespace()).isEqualTo("ops");
              assertThat(grants(r.getRules()))
                  .isEqualTo(RequiredAccess.permissions(List.of(RequiredAccess.LEASES)));
            });
    assertThat(String.join(" ", grants(roles.get(0).getRules()))).doesNotContain("secrets");
  }

  @Test
  void watchingNamedNamespacesGrantsARolePerNamespaceAndNoClusterRole() {
    List<HasMetadata> objects =
        template(
            "watchNamespaces[0]",
            "team-a",
            "watchNamespaces[1]",
            "team-b",
            "leaderElection.enabled",
            "false");
    assertThat(operatorClusterRoles(objects)).isEmpty();
    List<Role> roles = objects.stream().filter(o -> o instanceof Role).map(o -> (Role) o).toList();
    assertThat(roles)
        .extracting(r -> r.getMetadata().getNamespace())
        .containsExactlyInAnyOrder("team-a", "team-b");
    roles.forEach(
        r ->
            assertThat(grants(r.getRules()))
                .isEqualTo(RequiredAccess.permissions(RequiredAccess.NAMESPACED)));
    Deployment d =
        objects.stream()
            .filter(o -> o instanceof Deployment)
            .map(o -> (Deployment) o)
            .findFirst()
            .orElseThrow();
    assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("WATCH_NAMESPACES");
              assertThat(e.getValue()).isEqualTo("team-a,team-b");
            });
  }

  @Test
  void thePodRunsRestricted() {
    Deployment d =
        template().stream()
            .filter(o -> o instanceof Deployment)
            .map(o -> (Deployment) o)
            .findFirst()
            .orElseThrow();
    var pod = d.getSpec().getTemplate().getSpec();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    var c = pod.getContainers().get(0);
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(c.getArgs()).containsExactly("operator");
  }

  @Test
  void optionalObjectsAppearOnlyWhenAskedFor() {
    assertThat(template())
        .noneMatch(
            o -> o.getKind().equals("ServiceMonitor") || o.getKind().equals("PodDisruptionBudget"));
    List<HasMetadata> all =
        template("serviceMonitor.enabled", "true", "podDisruptionBudget.enabled", "true");
    assertThat(all)
        .extracting(HasMetadata::getKind)
        .contains("ServiceMonitor", "PodDisruptionBudget");
  }

  @Test
  void valuesOutsideTheSchemaAreRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> template("replicas", "0"))
        .hasMessageContaining("replicas");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> template("logLevel", "LOUD"))
        .hasMessageContaining("logLevel");
  }

  @Test
  void eachReleaseElectsItsLeaderWithALeaseOfItsOwnAndMoreReplicasNeedOne() {
    Deployment d = deployment(template("replicas", "2"));
    assertThat(env(d, "LEASE_NAME")).isEqualTo("bpo-flink-backpressure-operator");
    assertThat(env(d, "LEADER_ELECTION_NAMESPACE")).isEqualTo("ops");
    assertThat(
            env(
                deployment(template("leaderElection.leaseName", "flink-backpressure-operator")),
                "LEASE_NAME"))
        .isEqualTo("flink-backpressure-operator");
    assertThatThrownBy(() -> template("replicas", "2", "leaderElection.enabled", "false"))
        .hasMessageContaining("replicas > 1 needs leaderElection.enabled");
    assertThat(
            env(
                deployment(template("leaderElection.enabled", "false")),
                "LEADER_ELECTION_NAMESPACE"))
        .isEmpty();
  }

  @Test
  void theChartInstallsWhereverItIsPut() {
    // Names: the release's, or the ones asked for.
    assertThat(deployment(template()).getMetadata().getName())
        .isEqualTo("bpo-flink-backpressure-operator");
    assertThat(deployment(template("nameOverride", "backpressure")).getMetadata().getName())
        .isEqualTo("bpo-backpressure");
    assertThat(template("fullnameOverride", "backpressure"))
        .allMatch(o -> o.getMetadata().getName().startsWith("backpressure"));

    // Pulled by digest when one is given.
    String digest = "sha256:" + "a".repeat(64);
    assertThat(container(template("image.digest", digest)).getImage())
        .isEqualTo("flink-backpressure-operator@" + digest);
    assertThatThrownBy(() -> template("image.digest", "latest")).hasMessageContaining("digest");

    // The pod as the platform wants it.
    Deployment d =
        deployment(
            template(
                "podLabels.team", "data",
                "priorityClassName", "platform-critical",
                "topologySpreadConstraints[0].maxSkew", "1",
                "topologySpreadConstraints[0].topologyKey", "kubernetes.io/hostname",
                "topologySpreadConstraints[0].whenUnsatisfiable", "ScheduleAnyway",
                "extraEnv[0].name", "HTTPS_PROXY",
                "extraEnv[0].value", "http://proxy:3128"));
    var pod = d.getSpec().getTemplate();
    assertThat(pod.getMetadata().getLabels()).containsEntry("team", "data");
    assertThat(pod.getSpec().getPriorityClassName()).isEqualTo("platform-critical");
    assertThat(pod.getSpec().getTopologySpreadConstraints())
        .singleElement()
        .satisfies(t -> assertThat(t.getTopologyKey()).isEqualTo("kubernetes.io/hostname"));
    assertThat(env(d, "HTTPS_PROXY")).isEqualTo("http://proxy:3128");
    // The selector is untouched by extra pod labels: an upgrade keeps matching the old pods.
    assertThat(d.getSpec().getSelector().getMatchLabels()).doesNotContainKey("team");

    // Where the platform assigns the user (OpenShift's restricted-v2), none is fixed.
    var assigned =
        deployment(
                template(
                    "podSecurityContext.runAsUser",
                    "null",
                    "podSecurityContext.runAsGroup",
                    "null"))
            .getSpec()
            .getTemplate()
            .getSpec()
            .getSecurityContext();
    assertThat(assigned.getRunAsUser()).isNull();
    assertThat(assigned.getRunAsGroup()).isNull();
    assertThat(assigned.getRunAsNonRoot()).isTrue();

    // Single loggers' levels, as the command line reads them.
    assertThat(
            env(
                deployment(
                    template(
                        "logLevels.io\\.javaoperatorsdk",
                        "WARN",
                        "logLevels.dev\\.backpressure\\.audit",
                        "INFO")),
                "LOG_LEVELS"))
        .isEqualTo("dev.backpressure.audit=INFO,io.javaoperatorsdk=WARN");
    assertThatThrownBy(() -> template("logLevels.x", "LOUD")).hasMessageContaining("logLevels");

    // Own RBAC, and a place in an umbrella chart.
    assertThat(template("rbac.create", "false"))
        .extracting(HasMetadata::getKind)
        .doesNotContain("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")
        .contains("Deployment");
    assertThat(template("global.imageRegistry", "registry.example.com")).isNotEmpty();
  }

  /** The operator's own ClusterRoles, not the ones it adds to Kubernetes' default roles. */
  private static List<ClusterRole> operatorClusterRoles(List<HasMetadata> objects) {
    return objects.stream()
        .filter(o -> o instanceof ClusterRole)
        .map(o -> (ClusterRole) o)
        .filter(
            r ->
                !r.getMetadata().getLabels().keySet().stream()
                    .anyMatch(k -> k.startsWith("rbac.authorization.k8s.io/aggregate-to-")))
        .toList();
  }

  @Test
  void namespaceAdminsManageTheirPoliciesButNeverTheirStatus() {
    List<ClusterRole> aggregated =
        template().stream()
            .filter(o -> o instanceof ClusterRole)
            .map(o -> (ClusterRole) o)
            .filter(r -> !operatorClusterRoles(List.of(r)).contains(r))
            .toList();
    assertThat(aggregated).hasSize(2);
    // Named with the release's namespace: the same release name in another namespace installs too.
    assertThat(aggregated)
        .allSatisfy(
            r ->
                assertThat(r.getMetadata().getName())
                    .startsWith("bpo-flink-backpressure-operator-ops-"));
    ClusterRole edit =
        aggregated.stream()
            .filter(r -> r.getMetadata().getName().endsWith("-edit"))
            .findFirst()
            .orElseThrow();
    assertThat(edit.getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-edit", "true");
    assertThat(edit.getRules())
        .allSatisfy(r -> assertThat(r.getResources()).containsExactly("remediationpolicies"));
    assertThat(grants(edit.getRules())).noneMatch(g -> g.contains("status"));
    ClusterRole view =
        aggregated.stream()
            .filter(r -> r.getMetadata().getName().endsWith("-view"))
            .findFirst()
            .orElseThrow();
    assertThat(view.getRules())
        .allSatisfy(r -> assertThat(r.getVerbs()).containsExactly("get", "list", "watch"));
    assertThat(template("rbac.aggregateToDefaultRoles", "false"))
        .noneMatch(o -> o.getMetadata().getName().endsWith("-policies-edit"));
  }

  private static io.fabric8.kubernetes.api.model.Container container(List<HasMetadata> objects) {
    return deployment(objects).getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  private static Deployment deployment(List<HasMetadata> objects) {
    return objects.stream()
        .filter(o -> o instanceof Deployment)
        .map(o -> (Deployment) o)
        .findFirst()
        .orElseThrow();
  }

  private static String env(Deployment d, String name) {
    return d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .findFirst()
        .orElseThrow()
        .getValue();
  }

  @Test
  void theOperatorReadsOnlyTheAllowedRestHostsAndTheCommandLineAcceptsThem() {
    String hosts = env(deployment(template()), "ALLOWED_REST_HOSTS");
    assertThat(hosts)
        .isEqualTo("{name}-rest.{namespace}.svc,{name}-rest.{namespace}.svc.cluster.local");
    assertThat(RestAddresses.parse(hosts)).isEqualTo(RestAddresses.DEFAULT);
    String gateway =
        env(
            deployment(template("allowedRestHosts[0]", "*.flink.example.com:443")),
            "ALLOWED_REST_HOSTS");
    assertThat(RestAddresses.parse(gateway).allowedHosts())
        .containsExactly("*.flink.example.com:443");
    assertThatThrownBy(() -> template("allowedRestHosts[0]", "http://169.254.169.254"))
        .hasMessageContaining("allowedRestHosts");
  }

  @Test
  void theNetworkPolicyLetsTheOperatorReachOnlyDnsTheApiAndFlinkRest() {
    assertThat(template()).noneMatch(o -> o instanceof NetworkPolicy);
    NetworkPolicy np =
        template(
                "networkPolicy.enabled", "true",
                "networkPolicy.metricsFromNamespaces[0]", "monitoring",
                "networkPolicy.apiServer.cidrs[0]", "10.0.0.1/32",
                "watchNamespaces[0]", "team-a")
            .stream()
            .filter(o -> o instanceof NetworkPolicy)
            .map(o -> (NetworkPolicy) o)
            .findFirst()
            .orElseThrow();
    assertThat(np.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
    assertThat(np.getSpec().getIngress())
        .singleElement()
        .satisfies(
            in -> {
              assertThat(in.getPorts())
                  .extracting(p -> p.getPort().getStrVal())
                  .containsExactly("http");
              assertThat(in.getFrom())
                  .extracting(
                      f ->
                          f.getNamespaceSelector()
                              .getMatchLabels()
                              .get("kubernetes.io/metadata.name"))
                  .containsExactly("monitoring");
            });
    var egress = np.getSpec().getEgress();
    assertThat(egress).hasSize(3);
    assertThat(egress.get(0).getPorts())
        .extracting(p -> p.getPort().getIntVal())
        .containsExactly(53, 53);
    assertThat(egress.get(1).getPorts())
        .extracting(p -> p.getPort().getIntVal())
        .containsExactly(443, 6443);
    assertThat(egress.get(1).getTo())
        .extracting(t -> t.getIpBlock().getCidr())
        .containsExactly("10.0.0.1/32");
    assertThat(egress.get(2).getPorts())
        .extracting(p -> p.getPort().getIntVal())
        .containsExactly(8081);
    assertThat(egress.get(2).getTo())
        .extracting(
            t -> t.getNamespaceSelector().getMatchLabels().get("kubernetes.io/metadata.name"))
        .containsExactly("team-a");
  }

  @Test
  void theScratchVolumeIsBounded() {
    var volume = deployment(template()).getSpec().getTemplate().getSpec().getVolumes().get(0);
    assertThat(volume.getName()).isEqualTo("tmp");
    assertThat(volume.getEmptyDir().getSizeLimit().toString()).isEqualTo("64Mi");
  }

  @Test
  void theDashboardAndTheAlertsAreOptInAndQueryTheOperatorsMetrics() throws Exception {
    assertThat(template())
        .extracting(HasMetadata::getKind)
        .doesNotContain("PrometheusRule", "ConfigMap");
    List<HasMetadata> all =
        template(
            "grafanaDashboard.enabled",
            "true",
            "grafanaDashboard.namespace",
            "monitoring",
            "prometheusRule.enabled",
            "true");
    ConfigMap dashboard =
        all.stream()
            .filter(ConfigMap.class::isInstance)
            .map(ConfigMap.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(dashboard.getMetadata().getNamespace()).isEqualTo("monitoring");
    assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    // The ConfigMap carries the chart's file unchanged, and it is JSON Grafana can load.
    String json = dashboard.getData().get("flink-backpressure-operator.json");
    assertThat(json).isEqualTo(Files.readString(ChartQueries.DASHBOARD).strip());
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).path("panels"))
        .hasSizeGreaterThan(5);
    assertThat(all).extracting(HasMetadata::getKind).contains("PrometheusRule");

    var alerts = ChartQueries.alerts();
    assertThat(alerts)
        .extracting(r -> r.path("alert").asText())
        .containsExactly(
            "FlinkBackpressureWithoutRemedy",
            "FlinkBackpressureChangeRolledBack",
            "FlinkBackpressureChangeNotTaken",
            "FlinkBackpressureScrapeFailing",
            "FlinkBackpressureOperatorAbsent");
    // Helm leaves Prometheus' own templates alone, and every alert is about this release's job.
    assertThat(alerts.get(0).path("annotations").path("summary").asText())
        .contains("{{ $labels.namespace }}/{{ $labels.deployment }}");
    assertThat(alerts).allSatisfy(r -> assertThat(r.path("expr").asText()).contains("job=\"bpo-"));
    assertThat(ChartQueries.metricNames(ChartQueries.all()))
        .contains(
            "backpressure_deployment_backpressure_milliseconds_per_second",
            "backpressure_deployment_cause",
            "backpressure_changes_total",
            "up");
  }

  @Test
  void metricNamesAreReadOffQueriesWithoutLabelsFunctionsOrKeywords() {
    assertThat(
            ChartQueries.metricNames(
                "histogram_quantile(0.95, sum by (le) (rate(a_seconds_bucket{job=~\"$job\"}"
                    + "[$__rate_interval])))"))
        .containsExactly("a_seconds_bucket");
    assertThat(
            ChartQueries.metricNames(
                "max by (namespace) (b{phase=~\"Held|x\"}) == 1 and on(namespace) c > 500"))
        .containsExactly("b", "c");
    assertThat(ChartQueries.metricNames("label_values(d{job=~\"$job\"}, namespace)"))
        .containsExactly("d");
    assertThat(ChartQueries.metricNames("absent(up{job=\"x\"} == 1)")).containsExactly("up");
  }

  @Test
  void aReleaseHandlesTheShareOfPoliciesItsSelectorNames() {
    assertThat(env(deployment(template()), "POLICY_SELECTOR")).isEmpty();
    assertThat(env(deployment(template("policySelector", "shard=a")), "POLICY_SELECTOR"))
        .isEqualTo("shard=a");
  }
}
