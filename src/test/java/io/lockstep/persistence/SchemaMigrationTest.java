package io.lockstep.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.config.DatabaseSettings;
import io.lockstep.testing.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@Tag("postgres")
class SchemaMigrationTest {

  @RegisterExtension static final TestDatabase database = TestDatabase.create(SchemaMigrationTest.class);

  @Test
  void migrationIsIdempotent() throws Exception {
    // TestDatabase already migrated once; later starts apply nothing and validate checksums.
    assertEquals(0, SchemaMigration.migrate(database.settings()));
    assertEquals(0, SchemaMigration.migrate(database.settings()));
    assertTrue(tables().containsAll(Set.of("event_journal", "event_tag", "snapshot", "durable_state")), tables().toString());
  }

  @Test
  void freshDatabaseGetsTheWholeSchema() throws Exception {
    DatabaseSettings settings = database.settings();
    // The database was created by TestDatabase: V1 is recorded as applied once.
    try (Connection connection = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
        ResultSet rs =
            connection.createStatement().executeQuery("SELECT count(*) FROM \"flyway_schema_history\" WHERE \"version\" = '1' AND \"success\"")) {
      rs.next();
      assertEquals(1, rs.getInt(1));
    }
  }

  @Test
  void unreachableDatabaseFailsWithoutLeakingThePassword() {
    DatabaseSettings unreachable =
        new DatabaseSettings(
            DatabaseSettings.Kind.POSTGRES, "jdbc:postgresql://127.0.0.1:1/none", "u", "hunter2", 2, 0);
    var e = assertThrows(SchemaMigration.SchemaMigrationException.class, () -> SchemaMigration.migrate(unreachable));
    assertTrue(e.getMessage().contains("jdbc:postgresql://127.0.0.1:1/none"), e.getMessage());
    assertTrue(!e.getMessage().contains("hunter2"));
  }

  private static Set<String> tables() throws Exception {
    DatabaseSettings settings = database.settings();
    Set<String> names = new HashSet<>();
    try (Connection connection = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
        ResultSet rs = connection.getMetaData().getTables(null, connection.getSchema(), "%", new String[] {"TABLE"})) {
      while (rs.next()) {
        names.add(rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT));
      }
    }
    return names;
  }
}
