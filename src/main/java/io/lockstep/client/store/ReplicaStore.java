package io.lockstep.client.store;

import io.lockstep.client.v1.ClientStore;
import io.lockstep.client.v1.PendingMutation;
import io.lockstep.protocol.v1.Item;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Order;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.sqlite.SQLiteConfig;

/**
 * A device's store: its replica of the server's resolved records and its durable outbox, in one
 * SQLite database, written per change ({@link StoreChange}) in one transaction.
 *
 * <pre>
 *   device   one row: device id, merchant id, last applied seq, next counter
 *   item     item_id  -> lockstep.v1.Item   (resolved, as the server sent it)
 *   orders   order_id -> lockstep.v1.Order
 *   pending  counter  -> lockstep.v1.Mutation, acknowledged, settle_seq   (the outbox)
 * </pre>
 *
 * <p>Durability: write-ahead log with {@code synchronous=FULL}, so {@link #write} returns once its
 * transaction is fsynced to {@code FILE-wal}: a crash (power loss included) keeps every write that
 * returned, and leaves a write that did not either whole or absent. A store of format 1 (one
 * protobuf message rewritten whole, {@link LegacyStoreFile}) is migrated on open: the database is
 * built beside it and renamed over it only once complete.
 *
 * <p>While open, the store holds an exclusive lock on {@code FILE.lock}, so two clients cannot
 * share it. Internal to the client library (public for the store-cost benchmark); not thread-safe:
 * the client's event thread owns it.
 */
public final class ReplicaStore implements AutoCloseable {

  /** The format this store writes: {@code PRAGMA user_version}. Format 1 was the whole file. */
  public static final int FORMAT_VERSION = 2;

  private static final byte[] SQLITE_HEADER = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
  private static final List<String> SCHEMA = List.of(
      "CREATE TABLE device (id INTEGER PRIMARY KEY CHECK (id = 1), device_id TEXT NOT NULL,"
          + " merchant_id TEXT NOT NULL, last_applied_seq INTEGER NOT NULL,"
          + " next_counter INTEGER NOT NULL)",
      "CREATE TABLE item (item_id TEXT PRIMARY KEY, body BLOB NOT NULL)",
      "CREATE TABLE orders (order_id TEXT PRIMARY KEY, body BLOB NOT NULL)",
      "CREATE TABLE pending (counter INTEGER PRIMARY KEY, mutation BLOB NOT NULL,"
          + " acknowledged INTEGER NOT NULL, settle_seq INTEGER NOT NULL)",
      "PRAGMA user_version = " + FORMAT_VERSION);

  private final Path file;
  private final StoreLock lock;
  private final Connection db;
  private final PreparedStatement putDevice;
  private final PreparedStatement putItem;
  private final PreparedStatement putOrder;
  private final PreparedStatement putPending;
  private final PreparedStatement dropPending;

  private ReplicaStore(Path file, StoreLock lock, Connection db) throws SQLException {
    this.file = file;
    this.lock = lock;
    this.db = db;
    this.putDevice = db.prepareStatement("INSERT OR REPLACE INTO device"
        + " (id, device_id, merchant_id, last_applied_seq, next_counter) VALUES (1, ?, ?, ?, ?)");
    this.putItem = db.prepareStatement("INSERT OR REPLACE INTO item (item_id, body) VALUES (?, ?)");
    this.putOrder = db.prepareStatement(
        "INSERT OR REPLACE INTO orders (order_id, body) VALUES (?, ?)");
    this.putPending = db.prepareStatement("INSERT OR REPLACE INTO pending"
        + " (counter, mutation, acknowledged, settle_seq) VALUES (?, ?, ?, ?)");
    this.dropPending = db.prepareStatement("DELETE FROM pending WHERE counter = ?");
  }

  /**
   * Opens (and locks) the store at {@code file}, migrating a format 1 file; its directory is
   * created if needed.
   *
   * @throws IllegalStateException when another client holds the store, or the file is not a store
   *     this client can read
   * @throws UncheckedIOException when the store cannot be created or read
   */
  public static ReplicaStore open(Path file) {
    Objects.requireNonNull(file, "file");
    Path absolute = file.toAbsolutePath();
    StoreLock lock = null;
    try {
      Files.createDirectories(absolute.getParent());
      lock = StoreLock.acquire(absolute);
      Files.deleteIfExists(sibling(absolute, ".tmp")); // a format 1 write cut by a crash
      Files.deleteIfExists(sibling(absolute, ".migrating")); // a migration cut by a crash
      if (isFormat1(absolute)) {
        migrate(absolute);
      }
      Connection db = connect(absolute, SQLiteConfig.JournalMode.WAL);
      try {
        prepareSchema(db, absolute);
        return new ReplicaStore(absolute, lock, db);
      } catch (SQLException | RuntimeException e) {
        db.close();
        throw e;
      }
    } catch (IOException | SQLException | RuntimeException e) {
      if (lock != null) {
        lock.close();
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new UncheckedIOException("cannot open store " + absolute, asIo(e));
    }
  }

  private static Connection connect(Path file, SQLiteConfig.JournalMode journal)
      throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(journal);
    config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    Connection db = config.createConnection("jdbc:sqlite:" + file);
    db.setAutoCommit(false);
    return db;
  }

  private static boolean isFormat1(Path file) throws IOException {
    if (!Files.exists(file) || Files.size(file) == 0) {
      return false;
    }
    try (InputStream in = Files.newInputStream(file)) {
      return !Arrays.equals(in.readNBytes(SQLITE_HEADER.length), SQLITE_HEADER);
    }
  }

  /** Builds the database at {@code FILE.migrating}, then renames it over the format 1 file. */
  private static void migrate(Path file) throws IOException, SQLException {
    ClientStore old = LegacyStoreFile.read(file);
    Path migrating = sibling(file, ".migrating");
    // A rollback journal: once committed and closed, everything is in the one file renamed.
    try (Connection db = connect(migrating, SQLiteConfig.JournalMode.DELETE)) {
      prepareSchema(db, migrating);
      new ReplicaStore(migrating, null, db).write(new StoreChange(old.getDeviceId(), old.getMerchantId(),
          old.getLastAppliedSeq(), Math.max(1, old.getNextCounter()), true, old.getItemsList(),
          old.getOrdersList(), old.getPendingList(), List.of()));
    }
    Files.move(migrating, file, StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    syncDirectory(file.getParent());
  }

  private static void prepareSchema(Connection db, Path file) throws SQLException {
    try (Statement s = db.createStatement()) {
      int version;
      try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
        version = rs.next() ? rs.getInt(1) : 0;
      }
      if (version > FORMAT_VERSION) {
        throw new IllegalStateException("store " + file + " has format " + version
            + ", this client reads up to " + FORMAT_VERSION);
      }
      if (version == 0) {
        for (String ddl : SCHEMA) {
          s.executeUpdate(ddl);
        }
      }
      db.commit();
    } catch (SQLException e) {
      if (e.getMessage() != null && e.getMessage().contains("SQLITE_NOTADB")) {
        throw new IllegalStateException("store " + file + " is not a lockstep client store", e);
      }
      throw e;
    }
  }

  public Path path() {
    return file;
  }

  /** The stored state, or empty when nothing was ever written. */
  public Optional<ClientStore> read() {
    try (Statement s = db.createStatement()) {
      ClientStore.Builder b = ClientStore.newBuilder();
      try (ResultSet rs = s.executeQuery("SELECT device_id, merchant_id, last_applied_seq,"
          + " next_counter FROM device")) {
        if (!rs.next()) {
          return Optional.empty();
        }
        b.setDeviceId(rs.getString(1)).setMerchantId(rs.getString(2))
            .setLastAppliedSeq(rs.getLong(3)).setNextCounter(rs.getLong(4));
      }
      try (ResultSet rs = s.executeQuery("SELECT body FROM item ORDER BY item_id")) {
        while (rs.next()) {
          b.addItems(Item.parseFrom(rs.getBytes(1)));
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT body FROM orders ORDER BY order_id")) {
        while (rs.next()) {
          b.addOrders(Order.parseFrom(rs.getBytes(1)));
        }
      }
      try (ResultSet rs = s.executeQuery(
          "SELECT mutation, acknowledged, settle_seq FROM pending ORDER BY counter")) {
        while (rs.next()) {
          b.addPending(PendingMutation.newBuilder().setMutation(Mutation.parseFrom(rs.getBytes(1)))
              .setAcknowledged(rs.getInt(2) != 0).setSettleSeq(rs.getLong(3)));
        }
      }
      db.commit();
      return Optional.of(b.build());
    } catch (SQLException | IOException e) {
      throw new UncheckedIOException("cannot read store " + file, asIo(e));
    }
  }

  /** Writes {@code change} in one transaction; returns once it is durable. */
  public void write(StoreChange change) {
    try {
      putDevice.setString(1, change.deviceId());
      putDevice.setString(2, change.merchantId());
      putDevice.setLong(3, change.lastAppliedSeq());
      putDevice.setLong(4, change.nextCounter());
      putDevice.executeUpdate();
      if (change.replaceRecords()) {
        try (Statement s = db.createStatement()) {
          s.executeUpdate("DELETE FROM item");
          s.executeUpdate("DELETE FROM orders");
        }
      }
      for (Item item : change.items()) {
        put(putItem, item.getItemId(), item.toByteArray());
      }
      for (Order order : change.orders()) {
        put(putOrder, order.getOrderId(), order.toByteArray());
      }
      for (PendingMutation p : change.pending()) {
        putPending.setLong(1, p.getMutation().getCounter());
        putPending.setBytes(2, p.getMutation().toByteArray());
        putPending.setInt(3, p.getAcknowledged() ? 1 : 0);
        putPending.setLong(4, p.getSettleSeq());
        putPending.executeUpdate();
      }
      for (long counter : change.settled()) {
        dropPending.setLong(1, counter);
        dropPending.executeUpdate();
      }
      db.commit();
    } catch (SQLException e) {
      rollback();
      throw new UncheckedIOException("cannot write store " + file, asIo(e));
    }
  }

  private static void put(PreparedStatement statement, String id, byte[] body)
      throws SQLException {
    statement.setString(1, id);
    statement.setBytes(2, body);
    statement.executeUpdate();
  }

  private void rollback() {
    try {
      db.rollback();
    } catch (SQLException ignored) {
      // The write failed already; its exception says why.
    }
  }

  /** Closes the database (checkpointing its log) and releases the lock; the file stays. */
  @Override
  public void close() {
    try {
      db.close();
    } catch (SQLException e) {
      throw new UncheckedIOException("cannot close store " + file, asIo(e));
    } finally {
      if (lock != null) {
        lock.close();
      }
    }
  }

  private static Path sibling(Path file, String suffix) {
    return file.resolveSibling(file.getFileName() + suffix);
  }

  private static IOException asIo(Exception e) {
    return e instanceof IOException io ? io : new IOException(e);
  }

  /** Makes a rename durable; not every platform can open a directory, so best effort. */
  private static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // The database itself was synced at its commit; only the rename's durability is at stake.
    }
  }
}
