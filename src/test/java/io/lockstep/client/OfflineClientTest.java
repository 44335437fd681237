package io.lockstep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.client.store.ReplicaStore;
import io.lockstep.client.v1.ClientStore;
import io.lockstep.domain.OrderState;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client without a server: optimistic apply, counters and the outbox across restarts. */
class OfflineClientTest {

  @TempDir Path dir;

  private LockstepClient client(String device) {
    return LockstepClient.open(ClientConfig.builder()
        .serverUri(URI.create("ws://127.0.0.1:9/v1/devices/ws"))
        .deviceId(device)
        .token(() -> "unused")
        .storePath(dir.resolve(device + ".store"))
        .build());
  }

  @Test
  void mutationsApplyLocallyAtOnceWithIncreasingCounters() {
    try (LockstepClient till = client("till")) {
      assertEquals(1, till.upsertItem("coffee", "Coffee", "C-1", 350L));
      assertEquals(2, till.setStock("coffee", 10));
      assertEquals(3, till.adjustStock("coffee", -2));
      assertEquals(4, till.openOrder("o-1"));
      assertEquals(5, till.addLine("o-1", "l-1", "coffee", 2, 350));
      assertEquals(6, till.setOrderState("o-1", OrderState.PAID));

      assertEquals(8, till.item("coffee").orElseThrow().stock());
      assertEquals("Coffee", till.item("coffee").orElseThrow().name());
      assertEquals(OrderState.PAID, till.order("o-1").orElseThrow().state());
      assertEquals(6, till.pendingCount());
      assertEquals(0, till.lastAppliedSeq());
      assertEquals(ConnectionState.OFFLINE, till.connectionState());
    }
  }

  @Test
  void theBaseIsTheRecordVersionWithOwnPendingMutations() throws Exception {
    try (LockstepClient till = client("till")) {
      till.upsertItem("tea", "Tea", "T-1", 250L);
      till.adjustStock("tea", 5);
    }
    try (ReplicaStore store = ReplicaStore.open(dir.resolve("till.store"))) {
      ClientStore stored = store.read().orElseThrow();
      assertEquals(2, stored.getPendingCount());
      assertTrue(stored.getPending(0).getMutation().getBase().getCountersMap().isEmpty());
      assertEquals(1L, stored.getPending(1).getMutation().getBase().getCountersMap().get("till"));
      assertTrue(stored.getPending(1).getMutation().getHlc()
          > stored.getPending(0).getMutation().getHlc());
    }
  }

  @Test
  void aMutationTheReplicaRefusesThrowsAndConsumesNoCounter() {
    try (LockstepClient till = client("till")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> till.adjustStock("ghost", -1));
      assertTrue(e.getMessage().contains("ghost"), e.getMessage());
      assertEquals(1, till.upsertItem("ghost", "Ghost", "G", 1L));
      assertEquals(1, till.pendingCount());
    }
  }

  @Test
  void aRestartedClientKeepsItsOutboxReplicaAndCounters() {
    try (LockstepClient till = client("till")) {
      till.upsertItem("coffee", "Coffee", "C-1", 350L);
      till.adjustStock("coffee", 4);
    }
    try (LockstepClient restarted = client("till")) {
      assertEquals(2, restarted.pendingCount());
      assertEquals(4, restarted.item("coffee").orElseThrow().stock());
      assertEquals(3, restarted.adjustStock("coffee", -1), "counters continue, never reused");
      assertEquals(3, restarted.item("coffee").orElseThrow().stock());
    }
    try (ReplicaStore store = ReplicaStore.open(dir.resolve("till.store"))) {
      ClientStore stored = store.read().orElseThrow();
      assertEquals(4, stored.getNextCounter());
      assertEquals(List.of(1L, 2L, 3L),
          stored.getPendingList().stream().map(p -> p.getMutation().getCounter()).toList());
    }
  }

  @Test
  void aStoreOfAnotherDeviceIsRefused() {
    try (LockstepClient till = client("till")) {
      till.openOrder("o-1");
    }
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> LockstepClient.open(ClientConfig.builder()
            .serverUri(URI.create("ws://127.0.0.1:9/v1/devices/ws"))
            .deviceId("handheld")
            .token(() -> "unused")
            .storePath(dir.resolve("till.store"))
            .build()));
    assertTrue(e.getMessage().contains("till"), e.getMessage());
  }

  @Test
  void aClientOnAStoreTheWholeFileClientWroteFindsEverything() throws Exception {
    Path file = dir.resolve("till-7.store");
    try (var in = OfflineClientTest.class.getResourceAsStream("till-7-v1.store")) {
      java.nio.file.Files.copy(in, file);
    }
    try (LockstepClient till = client("till-7")) {
      assertEquals(2, till.lastAppliedSeq());
      assertEquals(3, till.pendingCount(), "one acknowledged, two in the outbox");
      assertEquals(2, till.view().unacknowledged());
      assertEquals(39, till.item("coffee").orElseThrow().stock(), "40 from the server, one sold");
      assertEquals(2, till.order("o-1").orElseThrow().lines().get("l1").quantity());
      assertTrue(till.order("o-2").orElseThrow().lines().containsKey("l1"));
      assertEquals(4, till.adjustStock("coffee", -1), "counters continue after the migration");
    }
    try (LockstepClient restarted = client("till-7")) {
      assertEquals(4, restarted.pendingCount());
      assertEquals(38, restarted.item("coffee").orElseThrow().stock());
    }
  }

  @Test
  void viewsAreImmutableSnapshots() {
    try (LockstepClient till = client("till")) {
      till.upsertItem("coffee", "Coffee", "C-1", 350L);
      ClientView before = till.view();
      till.upsertItem("tea", "Tea", "T-1", 250L);
      assertEquals(1, before.items().size());
      assertEquals(2, till.items().size());
      assertThrows(UnsupportedOperationException.class, () -> till.items().clear());
    }
  }
}
