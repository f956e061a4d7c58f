package dev.backpressure.operator;

import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.backpressure.api.RemediationPolicyStatus;

/** Whether two statuses say the same thing, so that unchanged statuses are not written again. */
final class StatusComparison {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private StatusComparison() {}

  static boolean same(RemediationPolicyStatus a, RemediationPolicyStatus b) {
    return JSON.valueToTree(a).equals(JSON.valueToTree(b));
  }
}
