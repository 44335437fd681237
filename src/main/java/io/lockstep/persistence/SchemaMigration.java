package io.lockstep.persistence;

import io.lockstep.config.DatabaseSettings;
import java.util.Optional;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings the journal database to the schema this build expects, with Flyway, before any
 * persistence plugin touches it.
 *
 * <p>Migrations live in {@code db/migration/h2} and {@code db/migration/postgres}; a version that
 * is already applied is checked against its checksum and skipped, so running this on every start
 * is safe. On PostgreSQL the URL's {@code currentSchema} is migrated (and created if missing);
 * Flyway's lock keeps nodes that start together from migrating twice.
 */
public final class SchemaMigration {

  private SchemaMigration() {}

  /**
   * Applies the pending migrations.
   *
   * @return the number of migrations applied now (0 when the schema was up to date)
   * @throws SchemaMigrationException if the database is unreachable or a migration fails; the
   *     message names the database (URL without password) and Flyway's reason
   */
  public static int migrate(DatabaseSettings database) throws SchemaMigrationException {
    try {
      MigrateResult result = flyway(database).migrate();
      return result.migrationsExecuted;
    } catch (FlywayException e) {
      throw new SchemaMigrationException(
          "schema migration of " + database.url() + " failed: " + e.getMessage(), e);
    }
  }

  static Flyway flyway(DatabaseSettings database) {
    var configuration =
        Flyway.configure(SchemaMigration.class.getClassLoader())
            .dataSource(database.url(), database.user(), database.password())
            .locations("classpath:db/migration/" + folder(database.kind()))
            .connectRetries(Math.max(0, database.connectRetries()))
            .cleanDisabled(true)
            .validateMigrationNaming(true);
    Optional<String> schema = database.schema();
    if (schema.isPresent()) {
      configuration = configuration.schemas(schema.get()).defaultSchema(schema.get()).createSchemas(true);
    }
    return configuration.load();
  }

  private static String folder(DatabaseSettings.Kind kind) {
    return switch (kind) {
      case H2 -> "h2";
      case POSTGRES -> "postgres";
    };
  }

  /** The database could not be migrated; start-up must stop. */
  public static final class SchemaMigrationException extends Exception {
    private static final long serialVersionUID = 1L;

    SchemaMigrationException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
