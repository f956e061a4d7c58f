package dev.backpressure.operator;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What makes a policy's label selector one the operator can apply. A selector is matched against
 * every FlinkDeployment of the namespace for every policy there, so one that cannot be read must be
 * refused for its own policy, never fail the matching of the others.
 */
final class Selectors {

  private static final Set<String> WITH_VALUES = Set.of("In", "NotIn");
  private static final Set<String> WITHOUT_VALUES = Set.of("Exists", "DoesNotExist");

  private Selectors() {}

  /** What is wrong with the selector, each naming the entry; empty when it can be applied. */
  static List<String> problems(LabelSelector selector, String path) {
    List<String> problems = new ArrayList<>();
    if (selector == null) {
      return problems;
    }
    if (selector.getMatchLabels() != null) {
      for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
        if (e.getKey() == null || e.getKey().isBlank() || e.getValue() == null) {
          problems.add(path + ".matchLabels has an entry without a key or value: " + e);
        }
      }
    }
    List<LabelSelectorRequirement> expressions =
        selector.getMatchExpressions() == null ? List.of() : selector.getMatchExpressions();
    for (int i = 0; i < expressions.size(); i++) {
      LabelSelectorRequirement r = expressions.get(i);
      String at = path + ".matchExpressions[" + i + "]";
      if (r == null) {
        problems.add(at + " is empty");
        continue;
      }
      List<String> values = r.getValues() == null ? List.of() : r.getValues();
      if (r.getKey() == null || r.getKey().isBlank()) {
        problems.add(at + ".key is required");
      }
      if (r.getOperator() == null
          || !(WITH_VALUES.contains(r.getOperator()) || WITHOUT_VALUES.contains(r.getOperator()))) {
        problems.add(
            at + ".operator must be In, NotIn, Exists or DoesNotExist, got " + r.getOperator());
      } else if (WITH_VALUES.contains(r.getOperator()) && values.isEmpty()) {
        problems.add(at + ".values must not be empty for " + r.getOperator());
      } else if (WITHOUT_VALUES.contains(r.getOperator()) && !values.isEmpty()) {
        problems.add(at + ".values must be empty for " + r.getOperator());
      } else if (values.stream().anyMatch(v -> v == null)) {
        problems.add(at + ".values must not hold null");
      }
    }
    return problems;
  }

  /**
   * Whether the selector names some label a deployment must carry: a matchLabels entry, or an In or
   * Exists requirement. NotIn and DoesNotExist alone select every deployment they do not exclude.
   */
  static boolean selectsByLabel(LabelSelector selector) {
    boolean labels = selector.getMatchLabels() != null && !selector.getMatchLabels().isEmpty();
    boolean positive =
        selector.getMatchExpressions() != null
            && selector.getMatchExpressions().stream()
                .anyMatch(
                    r ->
                        r != null
                            && ("In".equals(r.getOperator()) || "Exists".equals(r.getOperator())));
    return labels || positive;
  }
}
