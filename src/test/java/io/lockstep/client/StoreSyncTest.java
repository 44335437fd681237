package io.lockstep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.client.store.ReplicaStore;
import io.lockstep.client.v1.ClientStore;
import io.lockstep.domain.Authority;
import io.lockstep.domain.Dot;
import io.lockstep.domain.Hlc;
import io.lockstep.domain.Item;
import io.lockstep.domain.Mutation;
import io.lockstep.domain.Op;
import io.lockstep.domain.VersionVector;
import io.lockstep.serialization.DeviceProtocolMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session's store side writes what changed since the last write, and nothing else. */
class StoreSyncTest {

  @TempDir Path dir;
  private final ScheduledExecutorService eventThread = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    eventThread.shutdownNow();
  }

  private static Item item(String id, long stock, long version) {
    return Item.resolved(id, id, id, 100, stock, false, VersionVector.of(Map.of("svc", version)));
  }

  private static PendingEntry pending(long counter) {
    Mutation m = new Mutation(new Dot("till", counter), VersionVector.EMPTY, Hlc.unpack(counter << 16),
        Authority.DEVICE, new Op.AdjustStock("coffee", -1));
    return new PendingEntry(DeviceProtocolMapper.toProto(m), m, false, 0);
  }

  private ClientStore stored(Path file) {
    try (ReplicaStore store = ReplicaStore.open(file)) {
      return store.read().orElseThrow();
    }
  }

  @Test
  void onlyTheRecordsNamedAndTheOutboxDifferenceAreWritten() {
    Path file = dir.resolve("till.store");
    LocalReplica snapshot = LocalReplica.empty().withSnapshot(2,
        List.of(item("coffee", 10, 1), item("tea", 5, 2)), List.of());
    try (StoreSync sync = new StoreSync(ReplicaStore.open(file), "till", eventThread, () -> {})) {
      sync.recordsReplaced();
      sync.writeNow(snapshot.withPending(pending(1)).withPending(pending(2)), "m", 3);
      // The server resolved tea anew at seq 3; coffee differs here only in memory, unnamed.
      LocalReplica later = LocalReplica.restore(3, List.of(item("coffee", 99, 9),
          item("tea", 4, 3)), List.of(), List.of(pending(2)));
      sync.recordChanged(item("tea", 4, 3));
      sync.writeNow(later, "m", 3);
      assertEquals(3, sync.storedSeq());
    }
    ClientStore read = stored(file);
    assertEquals(3, read.getLastAppliedSeq());
    assertEquals(List.of(10L, 4L), read.getItemsList().stream().map(i -> i.getStock()).toList(),
        "coffee as last named, tea as resolved at seq 3");
    assertEquals(List.of(2L), read.getPendingList().stream()
        .map(p -> p.getMutation().getCounter()).toList(), "counter 1 settled, counter 2 kept");
  }

  @Test
  void whatWasWrittenLoadsBackAsTheSameReplica() {
    Path file = dir.resolve("till.store");
    LocalReplica replica = LocalReplica.empty().withSnapshot(7, List.of(item("coffee", 10, 1)),
        List.of()).withPending(pending(1));
    try (StoreSync sync = new StoreSync(ReplicaStore.open(file), "till", eventThread, () -> {})) {
      assertTrue(sync.load().isEmpty());
      sync.recordsReplaced();
      sync.writeNow(replica, "m-1", 2);
    }
    try (StoreSync sync = new StoreSync(ReplicaStore.open(file), "till", eventThread, () -> {})) {
      StoreSync.Loaded loaded = sync.load().orElseThrow();
      assertEquals(7, loaded.replica().appliedSeq());
      assertEquals(replica.pending(), loaded.replica().pending());
      assertEquals(9, loaded.replica().view().items().get("coffee").stock(), "own sale on top");
      assertEquals(2, loaded.nextCounter());
      assertEquals("m-1", loaded.merchantId());
      assertEquals(7, sync.storedSeq());
    }
  }
}
