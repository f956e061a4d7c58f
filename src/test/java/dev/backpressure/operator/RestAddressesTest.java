package dev.backpressure.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** A policy's REST address template cannot send the operator's requests outside its allow-list. */
class RestAddressesTest {

  private static final RestAddresses DEFAULT = RestAddresses.DEFAULT;

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          cloud metadata by IP                 | http://169.254.169.254/latest/meta-data/         | names a host the operator may not read
          metadata, our host as a fragment     | http://169.254.169.254/x#{name}-rest.{namespace}.svc | query or fragment
          another namespace's job              | http://{name}-rest.kube-system.svc:8081          | names a host the operator may not read
          our host as the user part            | http://{name}-rest.{namespace}.svc@169.254.169.254/ | user part
          decimal IPv4                         | http://2852039166/                               | non-standard form
          hex IPv4                             | http://0xa9.0xfe.0xa9.0xfe/                       | non-standard form
          octal IPv4                           | http://0251.0376.0251.0376/                       | non-standard form
          short IPv4                           | http://127.1:8081/                                | non-standard form
          IPv4 in IPv6                         | http://[::ffff:169.254.169.254]/                  | names a host the operator may not read
          IPv6                                 | http://[fd00:ec2::254]/                           | names a host the operator may not read
          metadata by name                     | http://metadata.google.internal/computeMetadata/v1/ | names a host the operator may not read
          our host as a prefix of another      | http://{name}-rest.{namespace}.svc.evil.example:8081 | names a host the operator may not read
          our host in the query                | http://evil.example/?h={name}-rest.{namespace}.svc | query or fragment
          a file                               | file:///etc/passwd                               | must start with http:// or https://
          another scheme                       | gopher://{name}-rest.{namespace}.svc:8081        | must start with http:// or https://
          loopback by name                     | http://localhost:8081                            | names a host the operator may not read
          the API server                       | https://kubernetes.default.svc/api                | names a host the operator may not read
          backslashes                          | http:\\\\169.254.169.254\\                       | is not a URL
          a space in the host                  | http://{name}-rest .{namespace}.svc:8081          | is not a URL
          percent-encoded host                 | http://%31%36%39.254.169.254/                     | no host name
          """)
  void hostileTemplatesAreRefusedBeforeAnyRequest(String what, String template, String says) {
    assertThatThrownBy(() -> DEFAULT.resolve(template, "orders", "team-a"))
        .as(what)
        .isInstanceOf(RestAddresses.Refused.class)
        .hasMessageContaining("spec.restUrlTemplate")
        .hasMessageContaining(says);
    assertThat(DEFAULT.problemWith(template, "team-a"))
        .as("%s is refused for the whole policy", what)
        .hasValueSatisfying(m -> assertThat(m).contains(says));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://{name}-rest.{namespace}.svc:8081",
        "https://{name}-rest.{namespace}.svc.cluster.local:8443/flink/",
        "HTTP://{name}-REST.{namespace}.SVC:8081",
        "http://orders-rest.team-a.svc"
      })
  void theDeploymentsOwnServiceIsRead(String template) throws Exception {
    URI uri = DEFAULT.resolve(template, "orders", "team-a");
    assertThat(uri.getHost().toLowerCase()).startsWith("orders-rest.team-a.svc");
    assertThat(DEFAULT.problemWith(template, "team-a")).isEmpty();
  }

  @Test
  void aFixedHostIsLeftToEachDeploymentWhenTheListIsPerName() throws Exception {
    String template = "http://orders-rest.team-a.svc:8081";
    assertThat(DEFAULT.problemWith(template, "team-a")).isEmpty();
    assertThatThrownBy(() -> DEFAULT.resolve(template, "payments", "team-a"))
        .isInstanceOf(RestAddresses.Refused.class)
        .hasMessageContaining("orders-rest.team-a.svc");
  }

  @Test
  void theMessageOfAPolicyNamesTheTemplateNotAnInventedDeployment() {
    assertThat(DEFAULT.problemWith("http://{name}-rest.kube-system.svc:8081", "team-a"))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .contains("http://{name}-rest.kube-system.svc:8081")
                    .contains("{name}-rest.{namespace}.svc")
                    .contains("allowedRestHosts"));
  }

  @Test
  void anIpAddressIsReadOnlyInItsCanonicalFormAndOnlyWhenListed() throws Exception {
    RestAddresses loopback = RestAddresses.parse("127.0.0.1");
    assertThat(loopback.resolve("http://127.0.0.1:8081", "orders", "team-a").getPort())
        .isEqualTo(8081);
    assertThatThrownBy(() -> loopback.resolve("http://2130706433:8081", "orders", "team-a"))
        .hasMessageContaining("non-standard form");
    assertThatThrownBy(() -> loopback.resolve("http://127.0.0.2:8081", "orders", "team-a"))
        .hasMessageContaining("may not read");
  }

  @Test
  void aPortAndAWildcardNarrowAndWidenAnEntry() throws Exception {
    RestAddresses gateway = RestAddresses.parse("*.flink.example.com:443, 10.0.0.7:8081");
    assertThat(gateway.resolve("https://{name}.flink.example.com/", "orders", "team-a").getHost())
        .isEqualTo("orders.flink.example.com");
    assertThatThrownBy(() -> gateway.resolve("http://{name}.flink.example.com/", "orders", "a"))
        .as("port 80 is not 443")
        .hasMessageContaining("may not read");
    assertThatThrownBy(() -> gateway.resolve("https://flink.example.com/", "orders", "a"))
        .as("the wildcard needs a subdomain")
        .hasMessageContaining("may not read");
    assertThat(gateway.resolve("http://10.0.0.7:8081", "orders", "a").getHost())
        .isEqualTo("10.0.0.7");
    assertThatThrownBy(() -> gateway.resolve("http://10.0.0.7:8082", "orders", "a"))
        .hasMessageContaining("may not read");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " , ", "http://x.svc", "a b", "x.svc/path", "*"})
  void aListTheOperatorCannotUseIsRefusedAtStart(String list) {
    assertThatThrownBy(() -> RestAddresses.parse(list))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("allowed Flink REST host");
  }

  @Test
  void anAllowedNameThatResolvesToThisMachineIsNotRead() throws Exception {
    RestAddresses byName = RestAddresses.parse("localhost, 127.0.0.1");
    URI named = byName.resolve("http://localhost:8081", "orders", "team-a");
    assertThatThrownBy(() -> byName.checkResolved(named))
        .isInstanceOf(RestAddresses.Refused.class)
        .hasMessageContaining("resolves to")
        .hasMessageContaining("loopback or link-local");
    // An address the list names itself is taken as meant (the tests' own Flinks listen there).
    byName.checkResolved(byName.resolve("http://127.0.0.1:8081", "orders", "team-a"));
  }
}
