package dev.backpressure.operator;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The share of the policies one operator handles when several run side by side (a large fleet): a
 * Kubernetes label selector on the RemediationPolicies, checked at startup so that a typo stops the
 * operator with a message rather than leaving it watching nothing.
 *
 * @param selector as the API server takes it in {@code labelSelector}, such as {@code shard=a} or
 *     {@code shard in (a,b),tier!=test}
 */
public record PolicyShard(String selector) {

  /** A label name, or a value when not empty: 63 characters at most, alphanumeric at both ends. */
  private static final String NAME = "[a-z0-9A-Z]([-a-z0-9A-Z_.]{0,61}[a-z0-9A-Z])?";

  private static final String KEY = "([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?" + NAME;
  private static final String VALUE = "(" + NAME + ")?";
  private static final Pattern REQUIREMENT =
      Pattern.compile(
          "!?"
              + KEY
              + "|"
              + KEY
              + "\\s*(=|==|!=)\\s*"
              + VALUE
              + "|"
              + KEY
              + "\\s+(in|notin)\\s*\\(\\s*"
              + NAME
              + "(\\s*,\\s*"
              + VALUE
              + ")*\\s*\\)");

  /** The shard, or why the text is not a label selector (naming the flag to change). */
  public static PolicyShard parse(String text, String flag) {
    String trimmed = text.trim();
    if (trimmed.isEmpty()) {
      throw new IllegalArgumentException(flag + " is empty; leave it out to handle every policy");
    }
    for (String requirement : requirements(trimmed)) {
      if (!REQUIREMENT.matcher(requirement.trim()).matches()) {
        throw new IllegalArgumentException(
            flag
                + ": '"
                + requirement.trim()
                + "' is not a label requirement; write key=value, key!=value, key in (a,b),"
                + " key notin (a,b), key or !key, comma-separated");
      }
    }
    return new PolicyShard(trimmed);
  }

  /** The requirements, split at the commas outside parentheses. */
  private static List<String> requirements(String selector) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < selector.length(); i++) {
      char c = selector.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == ',' && depth == 0) {
        out.add(selector.substring(start, i));
        start = i + 1;
      }
    }
    out.add(selector.substring(start));
    return out;
  }
}
