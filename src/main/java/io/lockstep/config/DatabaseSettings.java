package io.lockstep.config;

import com.typesafe.config.Config;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one database holding journal, snapshots and schema history.
 *
 * @param kind which engine, selected by the URL (see {@link LockstepConfig})
 * @param url JDBC URL; a PostgreSQL {@code currentSchema} parameter selects the schema
 * @param user database user
 * @param password database password; never printed by {@link #toString()}
 * @param maxConnections pool size of the journal and snapshot store
 * @param connectRetries how often start-up retries an unreachable database
 */
public record DatabaseSettings(
    Kind kind, String url, String user, String password, int maxConnections, int connectRetries) {

  private static final Pattern CURRENT_SCHEMA =
      Pattern.compile("[?&]currentSchema=([^&]+)", Pattern.CASE_INSENSITIVE);

  /** The database engine. */
  public enum Kind {
    /** Embedded H2 file database: the single-node default. */
    H2,
    /** PostgreSQL: production. */
    POSTGRES
  }

  /** Parses {@code lockstep.database}. */
  public static DatabaseSettings from(Config database) {
    String kind = database.getString("kind");
    Kind parsed =
        switch (kind.toLowerCase(Locale.ROOT)) {
          case "h2" -> Kind.H2;
          case "postgres" -> Kind.POSTGRES;
          default ->
              throw new IllegalArgumentException(
                  "lockstep.database.kind is neither h2 nor postgres: " + kind);
        };
    return new DatabaseSettings(
        parsed,
        database.getString("url"),
        database.getString("user"),
        database.getString("password"),
        LockstepSettings.positive(database, "max-connections"),
        database.getInt("connect-retries"));
  }

  /**
   * The schema named by a PostgreSQL URL's first {@code currentSchema} entry, if any. H2 always
   * uses its default schema.
   */
  public Optional<String> schema() {
    if (kind != Kind.POSTGRES) {
      return Optional.empty();
    }
    Matcher matcher = CURRENT_SCHEMA.matcher(url);
    if (!matcher.find()) {
      return Optional.empty();
    }
    String first = matcher.group(1).split(",")[0].trim();
    return first.isEmpty() ? Optional.empty() : Optional.of(first);
  }

  @Override
  public String toString() {
    return "DatabaseSettings[kind=" + kind + ", url=" + url + ", user=" + user
        + ", password=" + (password.isEmpty() ? "<empty>" : "<redacted>")
        + ", maxConnections=" + maxConnections + ", connectRetries=" + connectRetries + "]";
  }
}
