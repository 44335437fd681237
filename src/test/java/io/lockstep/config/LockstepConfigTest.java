package io.lockstep.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LockstepConfigTest {

  private static LockstepSettings settings(Map<String, String> env) {
    return LockstepSettings.from(LockstepConfig.load(env, ConfigFactory.empty()));
  }

  /**
   * The journal actor only hands inserts to Slick's threads: it runs on the default dispatcher,
   * not on a pinned thread woken per write (the plugin's reference.conf puts its own line inside
   * its `tables` block, where it sets nothing). The snapshot store, which encodes whole merchants,
   * keeps a thread of its own so that it never holds up the default dispatcher.
   */
  @Test
  void theJournalRunsOnTheDefaultDispatcherAndTheSnapshotStoreApart() {
    Config config = LockstepConfig.load(Map.of(), ConfigFactory.empty());
    assertEquals("pekko.actor.default-dispatcher", config.getString("jdbc-journal.plugin-dispatcher"));
    assertEquals("pekko.persistence.dispatchers.default-plugin-dispatcher",
        config.getString("jdbc-snapshot-store.plugin-dispatcher"));
    assertEquals(2, config.getInt("pekko.actor.default-dispatcher.fork-join-executor.parallelism-min"));
  }

  @Test
  void defaultsAreTheEmbeddedSingleNode() {
    Config config = LockstepConfig.load(Map.of(), ConfigFactory.empty());
    LockstepSettings settings = LockstepSettings.from(config);

    assertEquals(8080, settings.http().port());
    assertEquals(8090, settings.http().devicePort());
    assertEquals(8558, settings.management().port());
    assertEquals(25520, settings.remote().port());
    assertEquals("127.0.0.1", settings.remote().host());
    assertEquals(List.of(), settings.remote().seedNodes());
    assertEquals(RemoteSettings.Formation.SEED_NODES, settings.remote().formation());
    assertEquals(DatabaseSettings.Kind.H2, settings.database().kind());
    Path data = Path.of("./data").toAbsolutePath().normalize();
    assertEquals(data, settings.dataDir());
    assertEquals("jdbc:h2:file:" + data + "/lockstep", settings.database().url());
    assertTrue(settings.tokens().devKeyAllowed());
    assertEquals(Optional.empty(), settings.tokens().keyFile());
    assertEquals(data.resolve("dev-signing-key.jwks"), settings.tokens().devKeyFile());
    assertEquals(Duration.ofSeconds(5), settings.entity().askTimeout());

    // The files wire Pekko to the settings.
    assertEquals("cluster", config.getString("pekko.actor.provider"));
    assertEquals(25520, config.getInt("pekko.remote.artery.canonical.port"));
    assertEquals("jdbc-journal", config.getString("pekko.persistence.journal.plugin"));
    assertEquals("lockstep", config.getString("jdbc-journal.use-shared-db"));
    assertEquals(
        settings.database().url(),
        config.getString("pekko-persistence-jdbc.shared-databases.lockstep.db.url"));
    assertEquals("slick.jdbc.H2Profile$", config.getString("pekko-persistence-jdbc.shared-databases.lockstep.profile"));
    assertFalse(config.getBoolean("pekko.actor.allow-java-serialization"));
    assertEquals(
        "lockstep-kryo",
        config.getString("pekko.actor.serialization-bindings.\"io.lockstep.serialization.TransientMessage\""));
    assertEquals(
        "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider",
        config.getString("pekko.cluster.downing-provider-class"));
    assertEquals(8558, config.getInt("pekko.management.http.port"));
  }

  @Test
  void environmentOverridesPortsAndDirectories() {
    LockstepSettings settings =
        settings(
            Map.of(
                "LOCKSTEP_HTTP_PORT", "9080",
                "LOCKSTEP_DEVICE_PORT", "9090",
                "LOCKSTEP_MANAGEMENT_PORT", "9558",
                "LOCKSTEP_REMOTE_PORT", "25521",
                "LOCKSTEP_REMOTE_HOST", "10.1.2.3",
                "LOCKSTEP_DATA_DIR", "/var/lib/lockstep",
                "LOCKSTEP_SEED_NODES", "10.1.2.3:25520, 10.1.2.4:25520",
                "LOCKSTEP_TOKEN_KEY_FILE", "/etc/lockstep/keys.jwks",
                "LOCKSTEP_ASK_TIMEOUT", "3s"));

    assertEquals(9080, settings.http().port());
    assertEquals(9090, settings.http().devicePort());
    assertEquals(9558, settings.management().port());
    assertEquals(25521, settings.remote().port());
    assertEquals("10.1.2.3", settings.remote().host());
    assertEquals(Path.of("/var/lib/lockstep"), settings.dataDir());
    assertEquals("jdbc:h2:file:/var/lib/lockstep/lockstep", settings.database().url());
    assertEquals(
        List.of(new SeedNode("10.1.2.3", 25520), new SeedNode("10.1.2.4", 25520)),
        settings.remote().seedNodes());
    assertEquals(Optional.of(Path.of("/etc/lockstep/keys.jwks")), settings.tokens().keyFile());
    assertEquals(Duration.ofSeconds(3), settings.entity().askTimeout());
  }

  @Test
  void postgresUrlSelectsThePostgresOverlay() {
    Config config =
        LockstepConfig.load(
            Map.of(
                "LOCKSTEP_DB_URL", "jdbc:postgresql://db:5432/lockstep?currentSchema=tenant_a",
                "LOCKSTEP_DB_USER", "app",
                "LOCKSTEP_DB_PASSWORD", "s3cret"),
            ConfigFactory.empty());
    DatabaseSettings database = LockstepSettings.from(config).database();

    assertEquals(DatabaseSettings.Kind.POSTGRES, database.kind());
    assertEquals("app", database.user());
    assertEquals("s3cret", database.password());
    assertEquals(Optional.of("tenant_a"), database.schema());
    assertFalse(database.toString().contains("s3cret"));
    assertEquals(
        "slick.jdbc.PostgresProfile$",
        config.getString("pekko-persistence-jdbc.shared-databases.lockstep.profile"));
    assertEquals("org.postgresql.Driver", config.getString("pekko-persistence-jdbc.shared-databases.lockstep.db.driver"));
    assertFalse(LockstepSettings.from(config).tokens().devKeyAllowed());
    // Environment variables never leak into the resolved tree.
    assertFalse(config.hasPath("LOCKSTEP_DB_PASSWORD"));
  }

  @Test
  void explicitOverridesWinOverEnvironment() {
    Config config =
        LockstepConfig.load(
            Map.of("LOCKSTEP_HTTP_PORT", "9080"),
            ConfigFactory.parseString("lockstep.http.port = 7070\nlockstep.data-dir = \"relative/dir\""));
    LockstepSettings settings = LockstepSettings.from(config);
    assertEquals(7070, settings.http().port());
    assertEquals(Path.of("relative/dir").toAbsolutePath(), settings.dataDir());
    assertTrue(settings.database().url().startsWith("jdbc:h2:file:/"));
  }

  @Test
  void kubernetesFormationLayersTheKubernetesOverlay() {
    Config config =
        LockstepConfig.load(
            Map.of("LOCKSTEP_CLUSTER_FORMATION", "kubernetes", "LOCKSTEP_POD_IP", "10.4.0.7"),
            ConfigFactory.empty());
    LockstepSettings settings = LockstepSettings.from(config);
    assertEquals(RemoteSettings.Formation.KUBERNETES, settings.remote().formation());
    assertEquals("10.4.0.7", settings.remote().host());
    assertEquals(
        "kubernetes-api",
        config.getString("pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
  }

  @Test
  void outOfRangeValuesAreRejectedWithTheirName() {
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> settings(Map.of("LOCKSTEP_HTTP_PORT", "70000")));
    assertEquals("port out of range 0..65535: 70000", e.getMessage());
    var bad =
        assertThrows(
            IllegalArgumentException.class,
            () -> settings(Map.of("LOCKSTEP_CLUSTER_FORMATION", "dns")));
    assertTrue(bad.getMessage().contains("dns"));
  }

  @Test
  void aSlowJournalReachesADeviceAsUnavailableNotAHang() {
    for (Map<String, String> env : List.of(
        Map.<String, String>of(), Map.of("LOCKSTEP_DB_URL", "jdbc:postgresql://db:5432/lockstep"))) {
      Config config = LockstepConfig.load(env, ConfigFactory.empty());
      Duration deviceTimeout = LockstepSettings.from(config).device().requestTimeout();
      Duration callTimeout = config.getDuration("jdbc-journal.circuit-breaker.call-timeout");
      Duration resetTimeout = config.getDuration("jdbc-journal.circuit-breaker.reset-timeout");
      assertTrue(callTimeout.compareTo(deviceTimeout) < 0, callTimeout + " not below " + deviceTimeout);
      assertTrue(resetTimeout.compareTo(deviceTimeout) < 0, resetTimeout + " not below " + deviceTimeout);
      // Several writes in flight at once must not open the breaker shared by every merchant.
      assertTrue(config.getInt("jdbc-journal.circuit-breaker.max-failures")
          > config.getInt("jdbc-journal.parallelism"));
      assertTrue(config.getInt("jdbc-journal.parallelism")
          < config.getInt("pekko-persistence-jdbc.shared-databases.lockstep.db.maxConnections"));
    }
  }

  @Test
  void thePostgresOverlayBatchesInsertsInTheDriverWhateverTheUrl() {
    String property = "pekko-persistence-jdbc.shared-databases.lockstep.db.properties.reWriteBatchedInserts";
    Config postgres = LockstepConfig.load(
        Map.of("LOCKSTEP_DB_URL", "jdbc:postgresql://db:5432/lockstep?currentSchema=tenant_a"), ConfigFactory.empty());
    assertTrue(postgres.getBoolean(property));
    assertFalse(LockstepConfig.load(Map.of(), ConfigFactory.empty()).hasPath(property), "an H2 property");
  }

  @Test
  void verifiedTokenCacheSizeIsConfigured() {
    assertEquals(50000, settings(Map.of()).security().verifiedTokenCacheSize());
    assertEquals(0, settings(Map.of("LOCKSTEP_VERIFIED_TOKEN_CACHE_SIZE", "0")).security().verifiedTokenCacheSize());
    assertThrows(IllegalArgumentException.class,
        () -> settings(Map.of("LOCKSTEP_VERIFIED_TOKEN_CACHE_SIZE", "-1")));
  }
}
