package io.lockstep.config;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Every Lockstep setting, parsed once from the resolved {@link Config} (see {@link
 * LockstepConfig}). Code reads these records, never the raw configuration.
 *
 * @param dataDir absolute directory of the embedded database and the development signing key
 */
public record LockstepSettings(
    Path dataDir,
    HttpSettings http,
    ManagementSettings management,
    RemoteSettings remote,
    DatabaseSettings database,
    TokenSettings tokens,
    LimitSettings limits,
    EntitySettings entity,
    DeviceSettings device,
    SerializationSettings serialization,
    ApiSettings api,
    OperatorSettings operator,
    SecuritySettings security,
    RebalanceSettings rebalance) {

  public LockstepSettings {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(management, "management");
    Objects.requireNonNull(remote, "remote");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(tokens, "tokens");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(entity, "entity");
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(serialization, "serialization");
    Objects.requireNonNull(api, "api");
    Objects.requireNonNull(operator, "operator");
    Objects.requireNonNull(security, "security");
    Objects.requireNonNull(rebalance, "rebalance");
  }

  /**
   * Parses the {@code lockstep} section of a resolved configuration.
   *
   * @throws com.typesafe.config.ConfigException if a setting is missing or has the wrong type
   * @throws IllegalArgumentException if a value is out of range, naming the setting and the value
   */
  public static LockstepSettings from(Config config) {
    Config lockstep = config.getConfig("lockstep");
    Path dataDir = Path.of(lockstep.getString("data-dir")).toAbsolutePath().normalize();
    DatabaseSettings database = DatabaseSettings.from(lockstep.getConfig("database"));
    return new LockstepSettings(
        dataDir,
        HttpSettings.from(lockstep.getConfig("http")),
        ManagementSettings.from(lockstep.getConfig("management")),
        RemoteSettings.from(lockstep.getConfig("remote"), lockstep.getConfig("cluster")),
        database,
        TokenSettings.from(lockstep.getConfig("tokens"), dataDir, database.kind()),
        LimitSettings.from(lockstep.getConfig("limits")),
        EntitySettings.from(lockstep.getConfig("entity"), lockstep.getConfig("sync")),
        DeviceSettings.from(lockstep.getConfig("device")),
        SerializationSettings.from(lockstep.getConfig("serialization")),
        ApiSettings.from(lockstep.getConfig("api"), lockstep.getConfig("sync")),
        OperatorSettings.from(lockstep.getConfig("operator"), lockstep.getConfig("slo")),
        SecuritySettings.from(lockstep.getConfig("security")),
        RebalanceSettings.from(lockstep.getConfig("rebalance")));
  }

  static int port(Config config, String path) {
    int port = config.getInt(path);
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(path + " out of range 0..65535: " + port);
    }
    return port;
  }

  static int positive(Config config, String path) {
    int value = config.getInt(path);
    if (value < 1) {
      throw new IllegalArgumentException(path + " < 1: " + value);
    }
    return value;
  }

  /** A size in bytes ({@code 512KiB}), at least 1 and at most {@link Integer#MAX_VALUE}. */
  static int positiveBytes(Config config, String path) {
    long bytes = config.getBytes(path);
    if (bytes < 1 || bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(path + " must be between 1 byte and 2 GiB, was " + bytes);
    }
    return (int) bytes;
  }

  static java.time.Duration positiveDuration(Config config, String path) {
    java.time.Duration value = config.getDuration(path);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(path + " must be positive: " + value);
    }
    return value;
  }
}
