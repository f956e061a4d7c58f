package dev.backpressure.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.backpressure.diagnosis.Cause;
import dev.backpressure.remediation.GuardState;
import dev.backpressure.remediation.Measures;
import dev.backpressure.remediation.Setting;
import dev.backpressure.remediation.SettingChange;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The guard state as a small, versioned JSON record, the form it is kept in on the cluster. Reading
 * is strict: a record that does not parse, or names what the operator never writes, is refused with
 * a reason; one of another version is refused as such, so that the caller leaves alone what another
 * release of the operator wrote.
 */
public final class GuardStateJson {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private GuardStateJson() {}

  /** Why a stored record cannot be used. */
  public static final class Unreadable extends Exception {
    private final boolean otherVersion;

    public Unreadable(String message) {
      this(message, false);
    }

    Unreadable(String message, boolean otherVersion) {
      super(message);
      this.otherVersion = otherVersion;
    }

    /** Written by another release of the operator: to be left as it is, not replaced. */
    public boolean otherVersion() {
      return otherVersion;
    }
  }

  public static String write(GuardState state) {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", GuardState.VERSION);
    state
        .inFlight()
        .ifPresent(
            f -> {
              ObjectNode n = root.putObject("inFlight");
              n.put("id", f.id());
              n.put("phase", f.phase().name());
              n.put("cause", f.cause().name());
              n.put("remedy", f.remedy());
              ArrayNode changes = n.putArray("changes");
              for (SettingChange c : f.changes()) {
                ObjectNode x = changes.addObject();
                x.put("setting", c.setting().name());
                x.put("key", c.key());
                c.from().ifPresent(v -> x.put("from", v));
                if (!c.removes()) {
                  x.put("to", c.to());
                }
              }
              n.put("appliedAt", f.appliedAt().toString());
              f.stableSince().ifPresent(t -> n.put("stableSince", t.toString()));
              ObjectNode baseline =
                  n.putObject("baseline")
                      .put("worstBackPressure", f.baseline().worstBackPressure())
                      .put("throughput", f.baseline().throughput());
              if (!f.baseline().jobRunning()) {
                baseline.put("jobRunning", false);
              }
              f.rollbackAt().ifPresent(t -> n.put("rollbackAt", t.toString()));
              n.put("reason", f.reason());
            });
    ArrayNode history = root.putArray("history");
    for (GuardState.PastChange p : state.history()) {
      history
          .addObject()
          .put("id", p.id())
          .put("cause", p.cause().name())
          .put("remedy", p.remedy())
          .put("appliedAt", p.appliedAt().toString())
          .put("endedAt", p.endedAt().toString())
          .put("outcome", p.outcome().name())
          .put("reason", p.reason());
    }
    ArrayNode barred = root.putArray("barred");
    for (GuardState.Bar b : state.barred()) {
      barred
          .addObject()
          .put("key", b.key())
          .put("until", b.until().toString())
          .put("reason", b.reason())
          .put("outcome", b.outcome().name());
    }
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static GuardState read(String text) throws Unreadable {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new Unreadable("the guard state is not JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new Unreadable("the guard state is not a JSON object");
    }
    int version = root.path("version").asInt(-1);
    if (version != GuardState.VERSION) {
      throw new Unreadable(
          "the guard state has version "
              + root.path("version")
              + "; this operator reads version "
              + GuardState.VERSION,
          root.path("version").isInt());
    }
    try {
      Optional<GuardState.InFlight> inFlight = Optional.empty();
      JsonNode f = root.path("inFlight");
      if (f.isObject()) {
        List<SettingChange> changes = new ArrayList<>();
        for (JsonNode c : f.path("changes")) {
          changes.add(
              new SettingChange(
                  Setting.valueOf(req(c, "setting")),
                  req(c, "key"),
                  opt(c, "from"),
                  c.hasNonNull("to") ? c.get("to").asText() : null));
        }
        for (SettingChange c : changes) {
          checkValues(c);
          if (!Setting.owns(c)) {
            // A rollback writes these values back with the operator's rights: only its own keys.
            throw new Unreadable(
                "the guard state names "
                    + c.setting().path()
                    + (c.setting() == Setting.FLINK_CONFIGURATION ? "." + c.key() : "")
                    + ", which the operator never changes");
          }
        }
        JsonNode b = f.path("baseline");
        inFlight =
            Optional.of(
                new GuardState.InFlight(
                    req(f, "id"),
                    GuardState.Phase.valueOf(req(f, "phase")),
                    Cause.valueOf(req(f, "cause")),
                    req(f, "remedy"),
                    changes,
                    instant(req(f, "appliedAt")),
                    opt(f, "stableSince").map(GuardStateJson::instant),
                    new Measures(
                        b.path("worstBackPressure").asDouble(),
                        b.path("throughput").asDouble(),
                        b.path("jobRunning").asBoolean(true)),
                    opt(f, "rollbackAt").map(GuardStateJson::instant),
                    f.path("reason").asText("")));
      }
      List<GuardState.PastChange> history = new ArrayList<>();
      for (JsonNode p : root.path("history")) {
        history.add(
            new GuardState.PastChange(
                req(p, "id"),
                Cause.valueOf(req(p, "cause")),
                req(p, "remedy"),
                instant(req(p, "appliedAt")),
                instant(req(p, "endedAt")),
                GuardState.Outcome.valueOf(req(p, "outcome")),
                p.path("reason").asText("")));
      }
      List<GuardState.Bar> barred = new ArrayList<>();
      for (JsonNode x : root.path("barred")) {
        barred.add(
            new GuardState.Bar(
                req(x, "key"),
                instant(req(x, "until")),
                x.path("reason").asText(""),
                GuardState.Outcome.valueOf(x.path("outcome").asText("ROLLED_BACK"))));
      }
      return new GuardState(inFlight, history, barred);
    } catch (IllegalArgumentException | java.time.format.DateTimeParseException e) {
      throw new Unreadable("the guard state has an invalid field: " + e.getMessage());
    }
  }

  /** Values a rollback can write back: a parallelism is a whole number, a memory size is set. */
  private static void checkValues(SettingChange c) {
    switch (c.setting()) {
      case JOB_PARALLELISM -> {
        for (String v : new String[] {c.from().orElse(null), c.to()}) {
          if (v == null || !v.matches("[1-9][0-9]{0,5}")) {
            throw new IllegalArgumentException(
                "'" + c.key() + "' changes a parallelism to or from '" + v + "'");
          }
        }
      }
      case TASK_MANAGER_MEMORY -> {
        if (c.from().isEmpty() || c.to() == null) {
          throw new IllegalArgumentException(
              "'" + c.key() + "' changes the TaskManager memory without both values");
        }
      }
      case FLINK_CONFIGURATION -> {}
    }
  }

  /** Years the operator can have written: beyond them, date arithmetic overflows. */
  private static final Instant EARLIEST = Instant.parse("2000-01-01T00:00:00Z");

  private static final Instant LATEST = Instant.parse("2200-01-01T00:00:00Z");

  private static Instant instant(String text) {
    Instant t = Instant.parse(text);
    if (t.isBefore(EARLIEST) || !t.isBefore(LATEST)) {
      throw new IllegalArgumentException(text + " is not a time the operator can have written");
    }
    return t;
  }

  private static String req(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("'" + field + "' is missing");
    }
    return v.asText();
  }

  private static Optional<String> opt(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asText());
  }
}
