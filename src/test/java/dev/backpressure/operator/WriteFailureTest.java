package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each refusal of a patch is told as what it is, and only a concurrent edit is decided again. */
class WriteFailureTest {

  @ParameterizedTest(name = "HTTP {0}: {2}")
  @CsvSource(
      delimiter = '|',
      nullValues = "null",
      textBlock =
          """
          409 | the object has been modified                                   | CONFLICT  | changed while deciding (HTTP 409)
          422 | testing value /metadata/resourceVersion failed: test failed    | CONFLICT  | changed while deciding (HTTP 422)
          422 | admission webhook "x" denied the request: no                   | INVALID   | refused the change (HTTP 422: admission webhook "x" denied the request: no)
          400 | json: cannot unmarshal string into Go value                    | INVALID   | refused the change (HTTP 400
          403 | cannot patch resource "flinkdeployments"                       | FORBIDDEN | may not patch flinkdeployments.flink.apache.org in namespace team-a (HTTP 403: cannot patch
          401 | Unauthorized                                                   | FORBIDDEN | did not accept the operator's credentials (HTTP 401: Unauthorized)
          404 | flinkdeployments.flink.apache.org "orders" not found           | GONE      | deleted while deciding
          500 | etcdserver: request timed out                                  | SERVER    | (HTTP 500: etcdserver: request timed out); if it was written after all
          -1  | null                                                           | SERVER    | (no answer)
          503 | null                                                           | SERVER    | (HTTP 503)
          """)
  void eachRefusalSaysWhatItIs(int code, String said, WriteFailure.Kind kind, String message) {
    WriteFailure f = WriteFailure.of(code, said, "team-a");
    assertThat(f.kind()).isEqualTo(kind);
    assertThat(f.message()).contains(message).doesNotContain("\n");
    if (kind != WriteFailure.Kind.SERVER) {
      assertThat(f.message()).contains("nothing was written");
    }
  }
}
