package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The shard selector takes what the API server takes, and names the flag for what it does not. */
class PolicyShardTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "shard=a",
        "shard==a",
        "shard!=a",
        "shard",
        "!shard",
        "backpressure.dev/shard=a",
        "shard in (a, b),tier notin (test)",
        " shard = a , team=data ",
        "shard="
      })
  void labelSelectorsAreTaken(String selector) {
    assertThat(PolicyShard.parse(selector, "--policy-selector").selector())
        .isEqualTo(selector.trim());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "shard a",
        "shard=a b",
        "shard in a,b",
        "=a",
        "shard in (a",
        "shard in ()",
        "-x=a"
      })
  void anythingElseIsRefusedNamingTheFlag(String selector) {
    assertThatThrownBy(() -> PolicyShard.parse(selector, "--policy-selector"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--policy-selector: '")
        .hasMessageContaining("key=value");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "  "})
  void anEmptySelectorIsRefused(String selector) {
    assertThatThrownBy(() -> PolicyShard.parse(selector, "--policy-selector"))
        .hasMessage("--policy-selector is empty; leave it out to handle every policy");
  }
}
