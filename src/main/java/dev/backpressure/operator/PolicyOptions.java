package dev.backpressure.operator;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.backpressure.api.RemediationPolicySpec;
import io.fabric8.generator.annotation.Default;
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
 * Every setting of a policy, read from the one place that states it: the annotations on the model
 * the CRD schema is generated from (annotations must be constants, so the table is the model and
 * this is its view). The schema, the operator's own checks ({@link SchemaCheck}), the README's
 * settings table and the diagnose command's thresholds all follow it, and tests hold them to it.
 */
final class PolicyOptions {

  /**
   * One setting: its path in the policy spec, its default and bounds, what it means.
   *
   * @param fields the model fields that lead to it from the spec, its own last
   */
  record Option(
      String path,
      List<Field> fields,
      Optional<String> defaultValue,
      Optional<Double> min,
      boolean minInclusive,
      Optional<Double> max,
      boolean maxInclusive,
      Optional<String> pattern,
      boolean required,
      String description) {

    /** The model field that declares it. */
    Field field() {
      return fields.get(fields.size() - 1);
    }

    /** Its value in a spec; empty when unset, or when a section above it is. */
    Optional<Object> valueIn(RemediationPolicySpec spec) {
      return follow(spec, fields);
    }

    /** Whether the sections above it are all set in a spec, so that its own absence counts. */
    boolean reachableIn(RemediationPolicySpec spec) {
      return follow(spec, fields.subList(0, fields.size() - 1)).isPresent();
    }

    /** Whether it says anything beyond its type that a value must meet. */
    boolean bounded() {
      return min.isPresent() || max.isPresent() || pattern.isPresent() || required;
    }

    /** The values allowed, in words: "[1, 1000]", "a duration", "" for anything of its type. */
    String range() {
      if (min.isPresent() || max.isPresent()) {
        return (minInclusive ? "[" : "(")
            + min.map(PolicyOptions::number).orElse("")
            + ", "
            + max.map(PolicyOptions::number).orElse("")
            + (maxInclusive ? "]" : ")");
      }
      return pattern.map(SchemaCheck::shape).orElse("");
    }
  }

  private static final List<Option> ALL = walk(RemediationPolicySpec.class, "spec", List.of());

  private PolicyOptions() {}

  /** Every setting of the spec, sections first-to-last as the model declares them. */
  static List<Option> all() {
    return ALL;
  }

  private static Optional<Object> follow(Object from, List<Field> path) {
    Object at = from;
    try {
      for (Field f : path) {
        at = f.get(at);
        if (at == null) {
          return Optional.empty();
        }
      }
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
    return Optional.of(at);
  }

  private static List<Option> walk(Class<?> type, String prefix, List<Field> above) {
    List<Option> out = new ArrayList<>();
    for (Field f : fields(type)) {
      String path = prefix + "." + f.getName();
      List<Field> chain = new ArrayList<>(above);
      chain.add(f);
      if (nested(f.getType())) {
        out.addAll(walk(f.getType(), path, chain));
        continue;
      }
      Min min = f.getAnnotation(Min.class);
      Max max = f.getAnnotation(Max.class);
      JsonPropertyDescription description = f.getAnnotation(JsonPropertyDescription.class);
      out.add(
          new Option(
              path,
              List.copyOf(chain),
              Optional.ofNullable(f.getAnnotation(Default.class)).map(Default::value),
              Optional.ofNullable(min).map(Min::value),
              min == null || min.inclusive(),
              Optional.ofNullable(max).map(Max::value),
              max == null || max.inclusive(),
              Optional.ofNullable(f.getAnnotation(Pattern.class)).map(Pattern::value),
              f.isAnnotationPresent(Required.class),
              description == null ? "" : description.value()));
    }
    return List.copyOf(out);
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

  /** The model's own sections, whose fields are settings of their own. */
  private static boolean nested(Class<?> type) {
    return type.getPackageName().equals("dev.backpressure.api") && !type.isEnum();
  }

  static String number(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }
}
