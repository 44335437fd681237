package io.lockstep.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lockstep.config.DatabaseSettings;
import io.lockstep.config.LockstepConfig;
import io.lockstep.config.LockstepSettings;
import io.lockstep.persistence.SchemaMigration;
import io.lockstep.security.SigningKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An isolated, migrated database for one test class, and the configuration to start a node or
 * an actor system with persistence on it.
 *
 * <pre>
 *   lockstep.test.db   database
 *   (unset)            H2 file database in a fresh temporary data directory
 *   postgres           a fresh schema in LOCKSTEP_DB_URL (LOCKSTEP_DB_USER / LOCKSTEP_DB_PASSWORD),
 *                      dropped again after the class
 * </pre>
 *
 * <p>Usage, created eagerly so the config exists when the test kit is built:
 *
 * <pre>{@code
 * @ExtendWith(TestKitJUnit5Extension.class)
 * @TestInstance(TestInstance.Lifecycle.PER_CLASS)
 * class MyTest {
 *   @RegisterExtension
 *   static final TestDatabase database = TestDatabase.create(MyTest.class); // dropped after the class
 *
 *   @JUnit5TestKit
 *   final ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(database.config()).build();
 * }
 * }</pre>
 *
 * or start a whole node with {@code LockstepNode.start(database.config())}.
 *
 * Ports in {@link #config()} are 0 (free ports), so several nodes can run in one JVM; the JVM is
 * never exited by coordinated shutdown. With PostgreSQL a token key file is written to the
 * temporary directory, since development keys are refused there.
 */
public final class TestDatabase implements AfterAllCallback, AutoCloseable {

  /** System property selecting the database of a test run. */
  public static final String PROPERTY = "lockstep.test.db";

  private static final String DEFAULT_POSTGRES_URL = "jdbc:postgresql://127.0.0.1:5432/lockstep";

  private final Path dataDir;
  private final Map<String, Object> databaseOverrides;
  private final String postgresSchema;
  private final String postgresBaseUrl;
  private final Config config;
  private final DatabaseSettings settings;

  private TestDatabase(String name) {
    try {
      this.dataDir = Files.createTempDirectory("lockstep-" + name + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.databaseOverrides = new HashMap<>();
    databaseOverrides.put("lockstep.data-dir", dataDir.toString());
    if (isPostgres()) {
      postgresBaseUrl = env("LOCKSTEP_DB_URL", DEFAULT_POSTGRES_URL);
      postgresSchema = schemaName(name);
      String separator = postgresBaseUrl.contains("?") ? "&" : "?";
      databaseOverrides.put(
          "lockstep.database.url", postgresBaseUrl + separator + "currentSchema=" + postgresSchema);
      databaseOverrides.put("lockstep.database.user", env("LOCKSTEP_DB_USER", "lockstep"));
      databaseOverrides.put("lockstep.database.password", env("LOCKSTEP_DB_PASSWORD", "lockstep"));
      databaseOverrides.put("lockstep.tokens.key-file", writeKeyFile().toString());
    } else {
      postgresBaseUrl = null;
      postgresSchema = null;
    }
    this.config = LockstepConfig.load(Map.of(), overrides());
    this.settings = LockstepSettings.from(config).database();
    if (postgresSchema != null) {
      execute("CREATE SCHEMA " + postgresSchema);
    }
    try {
      SchemaMigration.migrate(settings);
    } catch (SchemaMigration.SchemaMigrationException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** A new database named after the test class. */
  public static TestDatabase create(Class<?> testClass) {
    return new TestDatabase(testClass.getSimpleName());
  }

  /** A second database of one test class, told apart by {@code suffix} (letters and digits). */
  public static TestDatabase create(Class<?> testClass, String suffix) {
    return new TestDatabase(testClass.getSimpleName() + suffix);
  }

  /** Whether this run tests against PostgreSQL ({@code -Dlockstep.test.db=postgres}). */
  public static boolean isPostgres() {
    return "postgres".equalsIgnoreCase(System.getProperty(PROPERTY, ""));
  }

  /**
   * Overrides to pass to {@link LockstepConfig#load(Config)} or to layer over other test
   * settings: database, data directory, free ports, no JVM exit.
   */
  public Config overrides() {
    Map<String, Object> values = new HashMap<>(databaseOverrides);
    values.put("lockstep.http.host", "127.0.0.1");
    values.put("lockstep.http.port", 0);
    values.put("lockstep.http.device-port", 0);
    values.put("lockstep.remote.host", "127.0.0.1");
    values.put("lockstep.remote.port", 0);
    values.put("lockstep.remote.seed-nodes", "");
    values.put("lockstep.management.host", "127.0.0.1");
    values.put("lockstep.management.port", 0);
    values.put("lockstep.cluster.formation", "seed-nodes");
    values.put("pekko.coordinated-shutdown.exit-jvm", "off");
    values.put("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    return ConfigFactory.parseMap(values);
  }

  /** The fully resolved configuration (application config plus {@link #overrides()}). */
  public Config config() {
    return config;
  }

  /** The database settings the config points at. */
  public DatabaseSettings settings() {
    return settings;
  }

  /** The temporary data directory of this database. */
  public Path dataDir() {
    return dataDir;
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  /** Drops the PostgreSQL schema and deletes the temporary directory. */
  @Override
  public void close() {
    if (postgresSchema != null) {
      execute("DROP SCHEMA IF EXISTS " + postgresSchema + " CASCADE");
    }
    deleteRecursively(dataDir);
  }

  private void execute(String sql) {
    try (Connection connection =
            DriverManager.getConnection(
                postgresBaseUrl,
                (String) databaseOverrides.get("lockstep.database.user"),
                (String) databaseOverrides.get("lockstep.database.password"));
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot run '" + sql + "' on " + postgresBaseUrl + ": " + e.getMessage(), e);
    }
  }

  private Path writeKeyFile() {
    Path file = dataDir.resolve("test-signing-key.jwks");
    try {
      SigningKeys.generate().writeNew(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  private static String schemaName(String name) {
    String clean = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "_");
    if (clean.length() > 30) {
      clean = clean.substring(0, 30);
    }
    return "t_" + clean + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // Leftover temporary files do not fail a test.
    }
  }
}
