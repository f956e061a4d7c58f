package dev.backpressure.operator;

import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.api.Remedies;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A policy's values against the bounds of its settings ({@link PolicyOptions}): the Min, Max,
 * Pattern and Required annotations on the model the CRD schema is generated from. The API server
 * applies them at admission; the operator applies the same ones again to what it reads (a cluster
 * can skip validation, a policy can predate the schema), so that the two never disagree.
 */
final class SchemaCheck {

  private SchemaCheck() {}

  /** What in {@code spec} breaks a bound, one message per setting, each naming it. */
  static List<String> problems(RemediationPolicySpec spec) {
    List<String> problems = new ArrayList<>();
    for (PolicyOptions.Option o : PolicyOptions.all()) {
      if (!o.reachableIn(spec)) {
        continue;
      }
      Optional<Object> value = o.valueIn(spec);
      if (value.isEmpty()) {
        if (o.required()) {
          problems.add(o.path() + " is required");
        } else if (o.bounded()) {
          problems.add(o.path() + " must be set (leave it out for its default)");
        }
      } else if (value.get() instanceof Number n) {
        number(o, n).ifPresent(problems::add);
      } else if (value.get() instanceof String s
          && o.pattern().isPresent()
          && !java.util.regex.Pattern.compile(o.pattern().get()).matcher(s).find()) {
        problems.add(o.path() + " must be " + shape(o.pattern().get()) + ", got '" + s + "'");
      }
    }
    return problems;
  }

  private static Optional<String> number(PolicyOptions.Option o, Number n) {
    double v = n.doubleValue();
    if (Double.isNaN(v)) {
      return Optional.of(o.path() + " must be a number, got NaN");
    }
    if (o.min().isPresent() && (o.minInclusive() ? v < o.min().get() : v <= o.min().get())) {
      return Optional.of(
          beyond(o.path(), o.minInclusive() ? "at least " : "more than ", o.min().get(), n));
    }
    if (o.max().isPresent() && (o.maxInclusive() ? v > o.max().get() : v >= o.max().get())) {
      return Optional.of(
          beyond(o.path(), o.maxInclusive() ? "at most " : "less than ", o.max().get(), n));
    }
    return Optional.empty();
  }

  /** A pattern in words, for the ones the model uses. */
  static String shape(String pattern) {
    if (pattern.equals(RemediationPolicySpec.DURATION)) {
      return "a duration such as 500ms, 30s, 5m or 1h";
    }
    if (pattern.equals(Remedies.MEMORY_SIZE)) {
      return "a size such as 512m or 1g";
    }
    return "text matching " + pattern;
  }

  private static String beyond(String path, String bound, double limit, Object value) {
    return path + " must be " + bound + PolicyOptions.number(limit) + ", got " + value;
  }
}
