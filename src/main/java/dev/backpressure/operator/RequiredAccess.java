package dev.backpressure.operator;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The Kubernetes API access the operator needs, and no more: what the Helm chart's RBAC must grant.
 * A test renders the chart and compares; another records the requests the operator makes.
 */
public final class RequiredAccess {

  /** One RBAC rule: an API group, a resource (or subresource) and verbs. */
  public record Rule(String apiGroup, String resource, Set<String> verbs) {}

  public static final List<Rule> NAMESPACED =
      List.of(
          new Rule("flink.apache.org", "flinkdeployments", Set.of("get", "list", "watch", "patch")),
          new Rule("backpressure.dev", "remediationpolicies", Set.of("list", "watch")),
          new Rule("backpressure.dev", "remediationpolicies/status", Set.of("update")),
          // A repeated event updates its series' Event: the client reads it before the patch.
          new Rule("", "events", Set.of("create", "get", "patch")));

  /**
   * Only with leader election, in the operator's own namespace. The Fabric8 elector renews with a
   * patch; JOSDK refuses to start unless update is granted too, though nothing sends one.
   */
  public static final Rule LEASES =
      new Rule("coordination.k8s.io", "leases", Set.of("get", "create", "update", "patch"));

  /** All of it, as granted with leader election on (the lease rule in its own namespace). */
  public static final List<Rule> WITH_LEADER_ELECTION =
      Stream.concat(NAMESPACED.stream(), Stream.of(LEASES)).toList();

  /** The rules as single permissions, {@code group/resource:verb}. */
  public static Set<String> permissions(List<Rule> rules) {
    Set<String> out = new HashSet<>();
    rules.forEach(
        r -> r.verbs().forEach(v -> out.add(r.apiGroup() + "/" + r.resource() + ":" + v)));
    return out;
  }

  /** Granted because JOSDK's start-up access review demands it, never sent. */
  public static final String DEMANDED_NOT_USED = "coordination.k8s.io/leases:update";

  private RequiredAccess() {}
}
