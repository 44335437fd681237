package io.lockstep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.client.v1.ClientStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreFileTest {

  @TempDir Path dir;

  private static ClientStore state(long nextCounter) {
    return ClientStore.newBuilder().setDeviceId("till-1").setNextCounter(nextCounter)
        .setLastAppliedSeq(nextCounter * 10).build();
  }

  @Test
  void aStoreNeverWrittenReadsEmpty() {
    try (StoreFile store = StoreFile.open(dir.resolve("sub/device.store"))) {
      assertTrue(store.read().isEmpty());
    }
  }

  @Test
  void whatIsWrittenIsReadBackByANewInstance() {
    Path file = dir.resolve("device.store");
    try (StoreFile store = StoreFile.open(file)) {
      store.write(state(3));
      store.write(state(4));
    }
    try (StoreFile again = StoreFile.open(file)) {
      ClientStore read = again.read().orElseThrow();
      assertEquals(4, read.getNextCounter());
      assertEquals(StoreFile.FORMAT_VERSION, read.getFormatVersion());
    }
  }

  @Test
  void aCrashBetweenTheTempWriteAndTheRenameLeavesTheOldFileReadable() {
    Path file = dir.resolve("device.store");
    try (StoreFile store = StoreFile.open(file)) {
      store.write(state(7));
    }
    RuntimeException crash = new RuntimeException("power lost");
    try (StoreFile crashing = StoreFile.open(file, () -> {
      throw crash;
    })) {
      assertThrows(RuntimeException.class, () -> crashing.write(state(8)));
      // The new bytes are complete in the temp file, but the store still names the old state.
      assertTrue(Files.exists(dir.resolve("device.store.tmp")));
      assertEquals(7, crashing.read().orElseThrow().getNextCounter());
    }
    try (StoreFile restarted = StoreFile.open(file)) {
      assertEquals(7, restarted.read().orElseThrow().getNextCounter());
      assertFalse(Files.exists(dir.resolve("device.store.tmp")), "leftover temp file is removed");
    }
  }

  @Test
  void aTruncatedTempFileFromACrashIsIgnored() throws Exception {
    Path file = dir.resolve("device.store");
    try (StoreFile store = StoreFile.open(file)) {
      store.write(state(2));
    }
    byte[] whole = state(3).toByteArray();
    Files.write(dir.resolve("device.store.tmp"), java.util.Arrays.copyOf(whole, whole.length / 2));
    try (StoreFile restarted = StoreFile.open(file)) {
      assertEquals(2, restarted.read().orElseThrow().getNextCounter());
    }
  }

  @Test
  void twoClientsCannotOpenTheSameStore() {
    Path file = dir.resolve("device.store");
    try (StoreFile first = StoreFile.open(file)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> StoreFile.open(file));
      assertTrue(e.getMessage().contains("device.store"), e.getMessage());
    }
    StoreFile.open(file).close(); // released by close
  }

  @Test
  void aFileFromANewerClientIsRefused() throws Exception {
    Path file = dir.resolve("device.store");
    Files.write(file, ClientStore.newBuilder().setFormatVersion(99).build().toByteArray());
    try (StoreFile store = StoreFile.open(file)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, store::read);
      assertTrue(e.getMessage().contains("99"), e.getMessage());
    }
  }
}
