package dev.backpressure.operator;

import dev.backpressure.api.RemediationPolicySpec;
import dev.backpressure.api.Remedies;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The bounds of a policy's fields, from the one place that states them: the Min, Max, Pattern and
 * Required annotations on the model the CRD schema is generated from. The API server applies them
 * at admission; the operator applies the same ones again to what it reads (a cluster can skip
 * validation, a policy can predate the schema), so that the two never disagree.
 */
final class SchemaCheck {

  /** One bounded field of the model, by its path in the policy. */
  record Bound(
      String path,
      Optional<Double> min,
      boolean minInclusive,
      Optional<Double> max,
      boolean maxInclusive,
      Optional<String> pattern,
      boolean required) {}

  private SchemaCheck() {}

  /** Every bounded field under {@code type}, with its path below {@code prefix}. */
  static List<Bound> bounds(Class<?> type, String prefix) {
    List<Bound> out = new ArrayList<>();
    for (Field f : fields(type)) {
      String path = prefix + "." + f.getName();
      Min min = f.getAnnotation(Min.class);
      Max max = f.getAnnotation(Max.class);
      Pattern pattern = f.getAnnotation(Pattern.class);
      boolean required = f.isAnnotationPresent(Required.class);
      if (min != null || max != null || pattern != null || required) {
        out.add(
            new Bound(
                path,
                Optional.ofNullable(min).map(Min::value),
                min == null || min.inclusive(),
                Optional.ofNullable(max).map(Max::value),
                max == null || max.inclusive(),
                Optional.ofNullable(pattern).map(Pattern::value),
                required));
      }
      if (nested(f.getType())) {
        out.addAll(bounds(f.getType(), path));
      }
    }
    return out;
  }

  /** What in {@code spec} breaks a bound, one message per field, each naming it. */
  static List<String> problems(Object spec, String prefix) {
    List<String> problems = new ArrayList<>();
    for (Field f : fields(spec.getClass())) {
      String path = prefix + "." + f.getName();
      Object value;
      try {
        value = f.get(spec);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
      Min min = f.getAnnotation(Min.class);
      Max max = f.getAnnotation(Max.class);
      Pattern pattern = f.getAnnotation(Pattern.class);
      if (value == null) {
        if (f.isAnnotationPresent(Required.class)) {
          problems.add(path + " is required");
        } else if (min != null || max != null || pattern != null) {
          problems.add(path + " must be set (leave it out for its default)");
        }
        continue;
      }
      if (value instanceof Number n) {
        double v = n.doubleValue();
        if (Double.isNaN(v)) {
          problems.add(path + " must be a number, got NaN");
        } else if (min != null && (min.inclusive() ? v < min.value() : v <= min.value())) {
          problems.add(
              beyond(path, min.inclusive() ? "at least " : "more than ", min.value(), value));
        } else if (max != null && (max.inclusive() ? v > max.value() : v >= max.value())) {
          problems.add(
              beyond(path, max.inclusive() ? "at most " : "less than ", max.value(), value));
        }
      } else if (value instanceof String s && pattern != null) {
        if (!java.util.regex.Pattern.compile(pattern.value()).matcher(s).find()) {
          problems.add(path + " must be " + shape(pattern.value()) + ", got '" + s + "'");
        }
      } else if (nested(f.getType())) {
        problems.addAll(problems(value, path));
      }
    }
    return problems;
  }

  /** A pattern in words, for the ones the model uses. */
  private static String shape(String pattern) {
    if (pattern.equals(RemediationPolicySpec.DURATION)) {
      return "a duration such as 500ms, 30s, 5m or 1h";
    }
    if (pattern.equals(Remedies.MEMORY_SIZE)) {
      return "a size such as 512m or 1g";
    }
    return "text matching " + pattern;
  }

  private static String beyond(String path, String bound, double limit, Object value) {
    return path + " must be " + bound + number(limit) + ", got " + value;
  }

  private static String number(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  private static List<Field> fields(Class<?> type) {
    List<Field> out = new ArrayList<>();
    for (Field f : type.getFields()) {
      if (!Modifier.isStatic(f.getModifiers())) {
        out.add(f);
      }
    }
    return out;
  }

  /** The model's own classes, whose fields have bounds of their own. */
  private static boolean nested(Class<?> type) {
    return type.getPackageName().equals("dev.backpressure.api") && !type.isEnum();
  }
}
