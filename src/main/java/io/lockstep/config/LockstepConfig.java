package io.lockstep.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Loads Lockstep's configuration: explicit overrides, then JVM system properties, then the
 * overlays chosen by the environment, then {@code application.conf}, then every library's
 * {@code reference.conf}.
 *
 * <p>Overlays are chosen here and nowhere else:
 *
 * <ul>
 *   <li>{@code postgres.conf} when {@code lockstep.database.url} (usually {@code LOCKSTEP_DB_URL})
 *       is a {@code jdbc:postgresql:} URL; otherwise the embedded H2 default applies.
 *   <li>{@code kubernetes.conf} when {@code lockstep.cluster.formation} (usually {@code
 *       LOCKSTEP_CLUSTER_FORMATION}) is {@code kubernetes}.
 * </ul>
 *
 * <p>{@code lockstep.data-dir} is made absolute so the H2 URL and the development key path do not
 * depend on how the data directory was spelled. Only {@code LOCKSTEP_*} and {@code PEKKO_*}
 * environment variables take part in substitution.
 */
public final class LockstepConfig {

  static final String POSTGRES_URL_PREFIX = "jdbc:postgresql:";
  private static final List<String> ENV_PREFIXES = List.of("LOCKSTEP_", "PEKKO_");

  private LockstepConfig() {}

  /** The resolved configuration for this process: its environment and system properties. */
  public static Config load() {
    return load(System.getenv(), ConfigFactory.empty());
  }

  /** Like {@link #load()}, with {@code overrides} taking precedence over everything else. */
  public static Config load(Config overrides) {
    return load(System.getenv(), overrides);
  }

  /**
   * The resolved configuration for the given environment; {@code overrides} win over system
   * properties, overlays and files. Tests pass their own environment here.
   */
  public static Config load(Map<String, String> environment, Config overrides) {
    ClassLoader loader = LockstepConfig.class.getClassLoader();
    Config env = lockstepEnvironment(environment);
    Config top = overrides.withFallback(ConfigFactory.systemProperties());
    Config application = parse(loader, "application.conf");
    Config reference = ConfigFactory.defaultReferenceUnresolved(loader);

    Config base = resolve(top.withFallback(application).withFallback(reference), env);
    Config overlays = ConfigFactory.empty();
    if (base.getString("lockstep.database.url").startsWith(POSTGRES_URL_PREFIX)) {
      overlays = overlays.withFallback(parse(loader, "postgres.conf"));
    }
    if ("kubernetes".equals(base.getString("lockstep.cluster.formation"))) {
      overlays = overlays.withFallback(parse(loader, "kubernetes.conf"));
    }
    Path dataDir = Path.of(base.getString("lockstep.data-dir")).toAbsolutePath().normalize();
    Config absoluteDataDir =
        ConfigFactory.empty()
            .withValue("lockstep.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toString()));

    // The absolute form of whichever data dir won in the first pass.
    Config layered =
        absoluteDataDir
            .withFallback(top)
            .withFallback(overlays)
            .withFallback(application)
            .withFallback(reference);
    return resolve(layered, env);
  }

  private static Config parse(ClassLoader loader, String resource) {
    return ConfigFactory.parseResources(
        loader, resource, ConfigParseOptions.defaults().setAllowMissing(false));
  }

  /** Resolves against the selected environment variables only, then removes them from the result. */
  private static Config resolve(Config config, Config env) {
    Config resolved =
        config
            .withFallback(env)
            .resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
    for (String key : env.root().keySet()) {
      resolved = resolved.withoutPath(key);
    }
    return resolved;
  }

  private static Config lockstepEnvironment(Map<String, String> environment) {
    Map<String, String> selected = new TreeMap<>();
    environment.forEach(
        (name, value) -> {
          if (ENV_PREFIXES.stream().anyMatch(name::startsWith) && name.matches("[A-Z0-9_]+")) {
            selected.put(name, value);
          }
        });
    return ConfigValueFactory.fromMap(selected).toConfig();
  }
}
