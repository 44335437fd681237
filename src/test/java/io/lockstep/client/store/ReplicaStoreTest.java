package io.lockstep.client.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.client.v1.ClientStore;
import io.lockstep.client.v1.PendingMutation;
import io.lockstep.protocol.v1.AdjustStock;
import io.lockstep.protocol.v1.Item;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Order;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicaStoreTest {

  @TempDir Path dir;

  private static Item item(String id, long stock) {
    return Item.newBuilder().setItemId(id).setName(id).setStock(stock).build();
  }

  private static Order order(String id) {
    return Order.newBuilder().setOrderId(id).build();
  }

  private static PendingMutation pending(long counter, boolean acknowledged, long settleSeq) {
    return PendingMutation.newBuilder().setMutation(Mutation.newBuilder().setCounter(counter)
        .setAdjustStock(AdjustStock.newBuilder().setItemId("coffee").setDelta(-1)))
        .setAcknowledged(acknowledged).setSettleSeq(settleSeq).build();
  }

  private static StoreChange change(long seq, List<Item> items, List<PendingMutation> pending,
      List<Long> settled) {
    return new StoreChange("till-1", "m-1", seq, 10, false, items, List.of(), pending, settled);
  }

  @Test
  void aStoreNeverWrittenReadsEmpty() {
    try (ReplicaStore store = ReplicaStore.open(dir.resolve("sub/device.store"))) {
      assertTrue(store.read().isEmpty());
    }
  }

  @Test
  void eachWriteChangesWhatItNamesAndANewInstanceReadsItBack() {
    Path file = dir.resolve("device.store");
    try (ReplicaStore store = ReplicaStore.open(file)) {
      store.write(new StoreChange("till-1", "m-1", 2, 4, false, List.of(item("coffee", 5),
          item("tea", 3)), List.of(order("o-1")), List.of(pending(1, false, 0),
          pending(2, false, 0), pending(3, false, 0)), List.of()));
      store.write(change(3, List.of(item("tea", 2)), List.of(pending(2, true, 4)), List.of(1L)));
    }
    try (ReplicaStore again = ReplicaStore.open(file)) {
      ClientStore read = again.read().orElseThrow();
      assertEquals("till-1", read.getDeviceId());
      assertEquals("m-1", read.getMerchantId());
      assertEquals(3, read.getLastAppliedSeq());
      assertEquals(10, read.getNextCounter());
      assertEquals(List.of(item("coffee", 5), item("tea", 2)), read.getItemsList());
      assertEquals(List.of(order("o-1")), read.getOrdersList());
      assertEquals(List.of(pending(2, true, 4), pending(3, false, 0)), read.getPendingList());
    }
  }

  @Test
  void aChangeThatReplacesTheRecordsDropsTheOthersAndKeepsTheOutbox() {
    try (ReplicaStore store = ReplicaStore.open(dir.resolve("device.store"))) {
      store.write(new StoreChange("till-1", "m-1", 2, 4, false, List.of(item("coffee", 5)),
          List.of(order("o-1")), List.of(pending(3, false, 0)), List.of()));
      store.write(new StoreChange("till-1", "m-1", 7, 4, true, List.of(item("tea", 1)),
          List.of(), List.of(), List.of()));
      ClientStore read = store.read().orElseThrow();
      assertEquals(List.of(item("tea", 1)), read.getItemsList());
      assertEquals(List.of(), read.getOrdersList());
      assertEquals(List.of(pending(3, false, 0)), read.getPendingList());
    }
  }

  @Test
  void twoClientsCannotOpenTheSameStore() {
    Path file = dir.resolve("device.store");
    try (ReplicaStore first = ReplicaStore.open(file)) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> ReplicaStore.open(file));
      assertTrue(e.getMessage().contains("device.store"), e.getMessage());
    }
    ReplicaStore.open(file).close(); // released by close
  }

  @Test
  void aStoreFromANewerClientIsRefusedAndReleased() throws Exception {
    Path file = dir.resolve("device.store");
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = db.createStatement()) {
      s.executeUpdate("PRAGMA user_version = 99");
    }
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> ReplicaStore.open(file));
    assertTrue(e.getMessage().contains("99"), e.getMessage());
    IllegalStateException again = assertThrows(IllegalStateException.class,
        () -> ReplicaStore.open(file));
    assertTrue(again.getMessage().contains("99"), "the lock was released: " + again.getMessage());
  }

  @Test
  void aFileThatIsNoStoreIsRefused() throws Exception {
    Path file = dir.resolve("device.store");
    Files.write(file, new byte[] {(byte) 0xff, 0x13, 0x37});
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> ReplicaStore.open(file));
    assertTrue(e.getMessage().contains("not a lockstep client store"), e.getMessage());
  }

  // ---- migration of format 1 (the whole-file store) ---------------------------------------

  /** A store the whole-file client (format 1) wrote: connected, then 3 sales offline, 1 acked. */
  private Path format1Store() throws Exception {
    Path file = dir.resolve("till-7.store");
    try (var in = ReplicaStoreTest.class.getResourceAsStream("/io/lockstep/client/till-7-v1.store")) {
      Files.copy(in, file);
    }
    return file;
  }

  @Test
  void aFormat1StoreIsMigratedOnOpenWithEverythingInIt() throws Exception {
    Path file = format1Store();
    ClientStore old = ClientStore.parseFrom(Files.readAllBytes(file));
    try (ReplicaStore store = ReplicaStore.open(file)) {
      ClientStore read = store.read().orElseThrow();
      assertEquals("till-7", read.getDeviceId());
      assertEquals("m-7", read.getMerchantId());
      assertEquals(2, read.getLastAppliedSeq());
      assertEquals(4, read.getNextCounter());
      assertEquals(old.getItemsList(), read.getItemsList());
      assertEquals(old.getOrdersList(), read.getOrdersList());
      assertEquals(old.getPendingList(), read.getPendingList());
      assertEquals(List.of(1L, 2L, 3L),
          read.getPendingList().stream().map(p -> p.getMutation().getCounter()).toList());
      assertTrue(read.getPending(0).getAcknowledged());
      assertEquals(3, read.getPending(0).getSettleSeq());
    }
    byte[] header = Arrays.copyOf(Files.readAllBytes(file), 16);
    assertArrayEquals("SQLite format 3\0".getBytes(StandardCharsets.US_ASCII), header);
    try (ReplicaStore reopened = ReplicaStore.open(file)) {
      assertEquals(old.getPendingList(), reopened.read().orElseThrow().getPendingList());
    }
  }

  @Test
  void aMigrationCutByACrashIsDoneAgainFromTheFormat1File() throws Exception {
    Path file = format1Store();
    Files.write(dir.resolve("till-7.store.migrating"), new byte[] {1, 2, 3}); // half built
    Files.write(dir.resolve("till-7.store.tmp"), new byte[] {4, 5}); // a cut format 1 write
    try (ReplicaStore store = ReplicaStore.open(file)) {
      assertEquals(3, store.read().orElseThrow().getPendingCount());
    }
    assertFalse(Files.exists(dir.resolve("till-7.store.migrating")));
    assertFalse(Files.exists(dir.resolve("till-7.store.tmp")));
  }

  // ---- durability ----------------------------------------------------------------------------

  /** Writes seq 1, 2, 3… to the store named by args[0], printing each seq once it is written. */
  public static void main(String[] args) {
    try (ReplicaStore store = ReplicaStore.open(Path.of(args[0]))) {
      for (long seq = 1; ; seq++) {
        store.write(change(seq, List.of(item("coffee", seq)), List.of(pending(seq, false, 0)),
            List.of()));
        System.out.println(seq);
        System.out.flush();
      }
    }
  }

  @Test
  void everyWriteThatReturnedSurvivesTheProcessBeingKilled() throws Exception {
    Path file = dir.resolve("killed.store");
    Process writer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-cp", System.getProperty("java.class.path"),
        ReplicaStoreTest.class.getName(), file.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    long lastWritten = 0;
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(writer.getInputStream(), StandardCharsets.US_ASCII))) {
      while (lastWritten < 200) {
        String line = out.readLine();
        assertTrue(line != null, "the writer ended early");
        lastWritten = Long.parseLong(line.trim());
      }
      writer.destroyForcibly(); // SIGKILL: no close, no checkpoint
      assertTrue(writer.waitFor(20, TimeUnit.SECONDS));
    } finally {
      writer.destroyForcibly();
    }
    try (ReplicaStore store = ReplicaStore.open(file)) {
      ClientStore read = store.read().orElseThrow();
      long seq = read.getLastAppliedSeq();
      assertTrue(seq >= lastWritten, "seq " + seq + " below the last write returned, " + lastWritten);
      assertEquals(List.of(item("coffee", seq)), read.getItemsList(), "records and seq agree");
      assertEquals(seq, read.getPendingCount(), "one outbox entry per write, none torn");
    }
  }
}
