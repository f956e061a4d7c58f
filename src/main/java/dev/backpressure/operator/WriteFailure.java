package dev.backpressure.operator;

import java.util.Locale;

/**
 * Why the API server refused a patch of a FlinkDeployment, in words that say what to do: a refused
 * permission is not a concurrent edit, and only a concurrent edit is worth deciding again at once.
 *
 * @param kind what went wrong
 * @param message one line for the event and the policy status
 */
record WriteFailure(Kind kind, String message) {

  enum Kind {
    /** Someone wrote the deployment after it was read: re-read it and decide again. */
    CONFLICT,
    /** The operator's service account may not patch it, or its credentials were refused. */
    FORBIDDEN,
    /** The API server (or an admission webhook) refuses the content. */
    INVALID,
    /** The deployment was deleted meanwhile. */
    GONE,
    /** The API server failed or could not be reached; the next pass tries again. */
    SERVER
  }

  private static final int MAX_REASON = 300;

  /**
   * @param code the HTTP status, 0 or less when there was no answer
   * @param serverMessage what the API server's Status said, may be null
   */
  static WriteFailure of(int code, String serverMessage, String namespace) {
    String said = serverMessage == null ? "" : flat(serverMessage);
    String nothing = "; nothing was written";
    if (code == 409 || (code == 422 && failedTest(said))) {
      return new WriteFailure(
          Kind.CONFLICT,
          "the FlinkDeployment changed while deciding (HTTP " + code + ")" + nothing);
    }
    return switch (code) {
      case 401 ->
          new WriteFailure(
              Kind.FORBIDDEN,
              "the API server did not accept the operator's credentials (HTTP 401"
                  + (said.isEmpty() ? "" : ": " + said)
                  + "): check its service account token"
                  + nothing);
      case 403 ->
          new WriteFailure(
              Kind.FORBIDDEN,
              "the operator may not patch flinkdeployments.flink.apache.org in namespace "
                  + namespace
                  + " (HTTP "
                  + code
                  + (said.isEmpty() ? "" : ": " + said)
                  + "): grant its service account the verb patch on flinkdeployments there (the"
                  + " chart's Role or ClusterRole does)"
                  + nothing);
      case 400, 422 ->
          new WriteFailure(
              Kind.INVALID,
              "the API server refused the change (HTTP "
                  + code
                  + (said.isEmpty() ? "" : ": " + said)
                  + ")"
                  + nothing
                  + " (an admission webhook or policy may forbid the values; see the message)");
      case 404, 410 ->
          new WriteFailure(Kind.GONE, "the FlinkDeployment was deleted while deciding" + nothing);
      default ->
          new WriteFailure(
              Kind.SERVER,
              "the API server did not confirm the change ("
                  + (code <= 0 ? "no answer" : "HTTP " + code)
                  + (said.isEmpty() ? "" : ": " + said)
                  + "); if it was written after all, the next pass reads it from the deployment,"
                  + " else it is tried again then");
    };
  }

  /** The JSON Patch test of the resourceVersion failed: the API server answers 422 for it. */
  private static boolean failedTest(String said) {
    String s = said.toLowerCase(Locale.ROOT);
    return s.contains("test") && s.contains("resourceversion");
  }

  private static String flat(String s) {
    String one = s.replaceAll("\\s+", " ").trim();
    return one.length() <= MAX_REASON ? one : one.substring(0, MAX_REASON - 1) + "…";
  }
}
