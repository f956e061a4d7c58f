package dev.backpressure.remediation;

import java.util.Optional;

/**
 * One value to change: where, what it was (empty when unset) and what it becomes. The previous
 * value is what a rollback writes back.
 *
 * @param key the flinkConfiguration key, or the setting's path for the other settings
 * @param to the new value; null only in a rollback of a key that was unset before, meaning "remove
 *     it again" (see {@link #removes()})
 */
public record SettingChange(Setting setting, String key, Optional<String> from, String to) {

  public static SettingChange config(String key, Optional<String> from, String to) {
    return new SettingChange(Setting.FLINK_CONFIGURATION, key, from, to);
  }

  /** Whether applying this removes the key rather than setting a value. */
  public boolean removes() {
    return to == null;
  }

  /** "key: from → to", as events and the command line print it. */
  public String describe() {
    return key + ": " + from.orElse("(unset)") + " → " + (to == null ? "(unset)" : to);
  }
}
