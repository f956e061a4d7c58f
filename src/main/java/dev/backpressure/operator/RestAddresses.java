package dev.backpressure.operator;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The trust boundary for Flink REST addresses. A policy's author (a tenant) writes the address
 * template, but the operator sends the requests under its own network identity: without a bound, a
 * policy could point it at a cloud metadata service or another namespace's job. The operator's own
 * settings name the hosts it may read; an address is checked before any request goes out.
 *
 * @param allowedHosts {@code host} or {@code host:port}, with {@code {name}} and {@code
 *     {namespace}} standing for the deployment's; a leading {@code *.} stands for any subdomain
 */
public record RestAddresses(List<String> allowedHosts) {

  private static final Pattern ENTRY =
      Pattern.compile("(\\*\\.)?([a-z0-9{}.-]+|\\[[0-9a-f:.]+\\])(:[0-9]{1,5})?");
  private static final Pattern CANONICAL_IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}"
              + "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])");

  /** What resolvers may read as an IPv4 address: 2852039166, 0xa9.0xfe.0xa9.0xfe, 0251.0376.… */
  private static final Pattern NUMERIC_HOST =
      Pattern.compile("(0x[0-9a-f]*|[0-9]+)(\\.(0x[0-9a-f]*|[0-9]+))*\\.?");

  /** The Flink operator's REST service of the deployment itself, in its own namespace. */
  public static final List<String> DEFAULT_HOSTS =
      List.of("{name}-rest.{namespace}.svc", "{name}-rest.{namespace}.svc.cluster.local");

  public static final RestAddresses DEFAULT = new RestAddresses(DEFAULT_HOSTS);

  public RestAddresses {
    allowedHosts = List.copyOf(allowedHosts);
    if (allowedHosts.isEmpty()) {
      throw new IllegalArgumentException("at least one allowed Flink REST host is needed");
    }
    for (String entry : allowedHosts) {
      if (!ENTRY.matcher(entry).matches()) {
        throw new IllegalArgumentException(
            "an allowed Flink REST host is a lower-case host name or address, optionally with"
                + " :port, {name} and {namespace} and a leading *., got '"
                + entry
                + "'");
      }
    }
  }

  /** From a comma-separated list, as the command line and the chart give it. */
  public static RestAddresses parse(String commaSeparated) {
    List<String> entries = new ArrayList<>();
    for (String s : commaSeparated.split(",")) {
      if (!s.isBlank()) {
        entries.add(s.trim().toLowerCase(Locale.ROOT));
      }
    }
    return new RestAddresses(entries);
  }

  /** Why an address is not read; the message names the field and says what to change. */
  public static final class Refused extends Exception {
    private final boolean hostOnly;

    Refused(String message, boolean hostOnly) {
      super(message);
      this.hostOnly = hostOnly;
    }

    /** The address is well formed; only its host is not among the allowed ones. */
    public boolean hostOnly() {
      return hostOnly;
    }
  }

  /** The REST address of one deployment, or why the operator will not read it. */
  public URI resolve(String template, String name, String namespace) throws Refused {
    String url = template.replace("{name}", name).replace("{namespace}", namespace);
    String field = "spec.restUrlTemplate (" + url + ")";
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new Refused(field + " is not a URL: " + e.getReason(), false);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new Refused(field + " must start with http:// or https://", false);
    }
    if (uri.getRawUserInfo() != null) {
      throw new Refused(
          field + " carries a user part before '@': give the Flink REST host alone", false);
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new Refused(
          field + " has a query or fragment ('?', '#'): give the host, port and path only", false);
    }
    String authority = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
    String host = uri.getHost() == null ? authority.replaceFirst(":[0-9]*$", "") : uri.getHost();
    host = host.toLowerCase(Locale.ROOT);
    boolean ip = host.startsWith("[") || NUMERIC_HOST.matcher(host).matches();
    if (ip && !host.startsWith("[") && !CANONICAL_IPV4.matcher(host).matches()) {
      throw new Refused(
          field + " names an IP address in a non-standard form; write a host name", false);
    }
    if (uri.getHost() == null) {
      throw new Refused(field + " has no host name the operator can read", false);
    }
    for (String entry : allowedHosts) {
      if (matches(entry.replace("{name}", name).replace("{namespace}", namespace), host, ip, uri)) {
        return uri;
      }
    }
    throw new Refused(
        field
            + " names a host the operator may not read: it reads "
            + String.join(", ", allowedHosts)
            + " (use the deployment's REST service, e.g. http://{name}-rest.{namespace}.svc.cluster.local:8081,"
            + " or ask the operator's administrators to allow the host: Helm value allowedRestHosts)",
        true);
  }

  /**
   * What is wrong with a template whatever the deployment, for the policy's Ready condition. A
   * fixed host that an entry with {@code {name}} allows for one deployment name (a policy for one
   * job) is left to the check of each deployment.
   */
  public Optional<String> problemWith(String template, String namespace) {
    String sentinel = "name-of-deployment";
    try {
      resolve(template, sentinel, namespace);
      return Optional.empty();
    } catch (Refused e) {
      if (e.hostOnly() && !template.contains("{name}")) {
        String host = URI.create(template.replace("{namespace}", namespace)).getHost();
        if (allowedHosts.stream().anyMatch(entry -> allowsSomeName(entry, host, namespace))) {
          return Optional.empty();
        }
      }
      return Optional.of(e.getMessage().replace(sentinel, "{name}"));
    }
  }

  private static boolean allowsSomeName(String entry, String host, String namespace) {
    String entryHost = entry.replaceFirst(":[0-9]+$", "").replace("{namespace}", namespace);
    if (!entryHost.contains("{name}") || entryHost.startsWith("*.")) {
      return false;
    }
    String[] parts = entryHost.split("\\{name\\}", -1);
    StringBuilder regex = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      regex.append(i == 0 ? "" : "[a-z0-9]([-a-z0-9.]*[a-z0-9])?").append(Pattern.quote(parts[i]));
    }
    return host.toLowerCase(Locale.ROOT).matches(regex.toString());
  }

  /**
   * Refuses a host name that resolves to this machine, a link-local address (where cloud metadata
   * services answer) or the unspecified one: an allowed name can still be pointed there, by an
   * ExternalName Service for one. An IP address the allow-list names itself is taken as meant. A
   * name that does not resolve is left to the request, which reports it.
   */
  public void checkResolved(URI address) throws Refused {
    String host = address.getHost();
    if (host == null || host.startsWith("[") || NUMERIC_HOST.matcher(host).matches()) {
      return;
    }
    InetAddress[] resolved;
    try {
      resolved = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      return;
    }
    for (InetAddress a : resolved) {
      if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()) {
        throw new Refused(
            "the Flink REST host "
                + host
                + " resolves to "
                + a.getHostAddress()
                + ", a loopback or link-local address the operator does not read",
            false);
      }
    }
  }

  private static boolean matches(String entry, String host, boolean ip, URI uri) {
    String entryHost = entry;
    int port = -1;
    int colon = entry.lastIndexOf(':');
    if (colon > entry.lastIndexOf(']')) {
      entryHost = entry.substring(0, colon);
      port = Integer.parseInt(entry.substring(colon + 1));
    }
    if (port >= 0 && port != effectivePort(uri)) {
      return false;
    }
    if (entryHost.startsWith("*.")) {
      return !ip && host.endsWith(entryHost.substring(1));
    }
    return host.equals(entryHost);
  }

  private static int effectivePort(URI uri) {
    if (uri.getPort() >= 0) {
      return uri.getPort();
    }
    return uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
  }
}
