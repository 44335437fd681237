package io.lockstep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.LockstepNode;
import io.lockstep.domain.Item;
import io.lockstep.domain.Op;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.testing.RunningNode;
import io.lockstep.testing.TestDatabase;
import io.lockstep.testing.TestDevice;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a real node over real loopback sockets (H2 journal): cut connections,
 * restarts with a pending outbox, optimistic apply and rebase.
 */
@org.junit.jupiter.api.extension.ExtendWith(org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension.class)
class LockstepClientIntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @RegisterExtension static final RunningNode running = RunningNode.create();

  @TempDir Path dir;

  private LockstepClient client(String merchant, String device, int port, ClientListener listener) {
    String token = running.node().tokens().mint(new DevicePrincipal(merchant, device));
    return LockstepClient.open(ClientConfig.builder()
        .serverUri(URI.create("ws://127.0.0.1:" + port + "/v1/devices/ws"))
        .deviceId(device)
        .token(() -> token)
        .storePath(dir.resolve(device + ".store"))
        .backoff(Duration.ofMillis(50), Duration.ofMillis(500))
        // The JDK WebSocket client does not always report a connection cut by the relay; the
        // client then relies on its silence detection (two ping intervals), kept short here.
        .pingInterval(Duration.ofSeconds(1))
        .random(new Random(1))
        .listener(listener)
        .build());
  }

  private LockstepClient client(String merchant, String device) {
    return client(merchant, device, running.node().devicePort(), new ClientListener() {});
  }

  /** The merchant as the server holds it: a fresh client synced from seq 0. */
  private ClientView server(String merchant) throws InterruptedException {
    try (LockstepClient fresh = client(merchant, "verifier-" + System.nanoTime())) {
      fresh.start();
      assertTrue(fresh.awaitSettled(WAIT), "verifier settled");
      return fresh.view();
    }
  }

  @Test
  void aConnectionCutMidFrameIsResumedAndEveryMutationAppliedExactlyOnce() throws Exception {
    try (TcpRelay relay = new TcpRelay(running.node().devicePort())) {
      LockstepClient till = client("cut", "till", relay.port(), new ClientListener() {});
      try {
        till.upsertItem("coffee", "Coffee", "C-1", 350L);
        for (int i = 0; i < 299; i++) {
          till.adjustStock("coffee", 1);
        }
        // 1st connection: cut inside the first Push (after the HTTP upgrade and Hello);
        // 2nd connection: cut while the server's acks come back.
        relay.cutNextUpstreamAfter(2_000);
        relay.cutNextDownstreamAfter(600);
        till.start();
        assertTrue(till.awaitSettled(WAIT), "outbox drained: " + till.view());
        assertTrue(relay.connections() >= 3, "cut twice, connections: " + relay.connections());

        assertEquals(299, till.item("coffee").orElseThrow().stock());
        ClientView server = server("cut");
        assertEquals(300, server.lastAppliedSeq(), "300 mutations stored at 300 seqs: none twice");
        Item coffee = server.items().get("coffee");
        assertEquals(299, coffee.stock(), "every +1 applied exactly once");
        assertEquals(Map.of("till", 300L), coffee.version().counters());
        assertEquals(server.items(), till.items());
      } finally {
        till.close();
      }
    }
  }

  @Test
  void aStoreAheadOfARestoredServerIsResetToTheServersSnapshot() throws Exception {
    String merchant = "restored-" + System.nanoTime();
    try (LockstepClient till = client(merchant, "till")) {
      till.start();
      for (int i = 0; i < 5; i++) {
        till.upsertItem("item-" + i, "Item " + i, "S-" + i, 100L);
      }
      assertTrue(till.awaitSettled(WAIT));
      assertEquals(5, till.view().lastAppliedSeq());
    }
    // The merchant's database is restored from an older backup: another running.node(), another database,
    // where the merchant holds one record at seq 1.
    try (TestDatabase older = TestDatabase.create(LockstepClientIntegrationTest.class, "restored");
        LockstepNode restored = LockstepNode.start(older.config())) {
      String writerToken = restored.tokens().mint(new DevicePrincipal(merchant, "writer"));
      try (TestDevice writer = TestDevice.hello(restored.devicePort(), "writer", writerToken, 0)) {
        writer.welcome();
        writer.push(io.lockstep.testing.Mutations.upsertItem(1, "milk", "Milk", 120));
        assertEquals(1, writer.ack().getSeq());
      }
      String tillToken = restored.tokens().mint(new DevicePrincipal(merchant, "till"));
      try (LockstepClient till = LockstepClient.open(ClientConfig.builder()
          .serverUri(URI.create("ws://127.0.0.1:" + restored.devicePort() + "/v1/devices/ws"))
          .deviceId("till")
          .token(() -> tillToken)
          .storePath(dir.resolve("till.store"))
          .backoff(Duration.ofMillis(50), Duration.ofMillis(500))
          .build())) {
        till.start();
        assertTrue(till.awaitSettled(WAIT));
        Awaitility.await().atMost(WAIT).until(() -> till.view().lastAppliedSeq() == 1);
        assertEquals(Map.of("milk", "Milk"), names(till.items()), "replica reset to the server's snapshot");
      }
    }
  }

  private static Map<String, String> names(Map<String, Item> items) {
    Map<String, String> names = new java.util.TreeMap<>();
    items.forEach((id, item) -> names.put(id, item.name()));
    return names;
  }

  @Test
  void aRestartedDeviceResendsItsStoredOutboxWithTheOriginalCounters() throws Exception {
    try (LockstepClient till = client("restart", "till")) {
      till.start();
      till.upsertItem("tea", "Tea", "T-1", 250L);
      till.setStock("tea", 20);
      assertTrue(till.awaitSettled(WAIT));
    }
    try (LockstepClient offline = client("restart", "till")) {
      assertEquals(ConnectionState.OFFLINE, offline.connectionState());
      for (int i = 0; i < 5; i++) {
        assertEquals(3 + i, offline.adjustStock("tea", -1));
      }
      assertEquals(15, offline.item("tea").orElseThrow().stock());
    } // the device powers off with 5 sales in its outbox
    try (LockstepClient restarted = client("restart", "till")) {
      assertEquals(5, restarted.view().unacknowledged());
      restarted.start();
      assertTrue(restarted.awaitSettled(WAIT), "outbox resent: " + restarted.view());
      assertEquals(15, restarted.item("tea").orElseThrow().stock());
      assertEquals(8, restarted.adjustStock("tea", 1), "next counter continues after the outbox");
      assertTrue(restarted.awaitSettled(WAIT));
    }
    ClientView server = server("restart");
    assertEquals(8, server.lastAppliedSeq(), "8 mutations, each stored once");
    assertEquals(16, server.items().get("tea").stock());
    assertEquals(Map.of("till", 8L), server.items().get("tea").version().counters());
  }

  @Test
  void localStateIsServerStatePlusOwnPendingMutations() throws Exception {
    try (TcpRelay relay = new TcpRelay(running.node().devicePort());
        LockstepClient till = client("rebase", "till", relay.port(), new ClientListener() {});
        LockstepClient handheld = client("rebase", "handheld")) {
      till.start();
      handheld.start();
      till.upsertItem("cake", "Cake", "K-1", 400L);
      till.setStock("cake", 10);
      assertTrue(till.awaitSettled(WAIT));
      assertTrue(handheld.await(v -> v.items().containsKey("cake") && v.settled(), WAIT));

      relay.holdUpstream(true); // the till's pushes wait in the network
      till.adjustStock("cake", -3);
      till.upsertItem("cake", "Lemon cake", null, null);
      assertEquals(7, till.item("cake").orElseThrow().stock(), "optimistic: applied at once");
      assertEquals("Lemon cake", till.item("cake").orElseThrow().name());
      assertEquals(2, till.pendingCount());

      long seqBefore = till.lastAppliedSeq();
      handheld.adjustStock("cake", 5);
      handheld.upsertItem("cake", null, null, 450L);
      assertTrue(handheld.awaitSettled(WAIT));
      assertTrue(till.await(v -> v.lastAppliedSeq() == seqBefore + 2, WAIT),
          "the till receives the handheld's changes while its own are held");
      Item rebased = till.item("cake").orElseThrow();
      assertEquals(12, rebased.stock(), "server 15, own -3 on top");
      assertEquals("Lemon cake", rebased.name(), "own pending rename on top");
      assertEquals(450, rebased.priceCents(), "the handheld's price");
      assertEquals(2, till.pendingCount());

      relay.holdUpstream(false);
      assertTrue(till.awaitSettled(WAIT));
      assertTrue(handheld.await(v -> v.lastAppliedSeq() == till.lastAppliedSeq(), WAIT));
      assertEquals(handheld.items(), till.items());
      assertEquals(12, handheld.item("cake").orElseThrow().stock());
      assertEquals("Lemon cake", handheld.item("cake").orElseThrow().name());
    }
  }

  @Test
  void aMutationTheServerRejectsIsReportedAndLeavesNoTrace() throws Exception {
    List<String> rejections = new CopyOnWriteArrayList<>();
    ClientListener listener = new ClientListener() {
      @Override
      public void onRejected(long counter, Op op, String reason) {
        rejections.add(counter + " " + op.recordId() + ": " + reason);
      }
    };
    try (TcpRelay relay = new TcpRelay(running.node().devicePort());
        LockstepClient till = client("reject", "till", relay.port(), listener);
        LockstepClient handheld = client("reject", "handheld")) {
      till.start();
      handheld.start();
      till.upsertItem("bun", "Bun", "B-1", 150L);
      assertTrue(till.awaitSettled(WAIT));
      assertTrue(handheld.await(v -> v.items().containsKey("bun") && v.settled(), WAIT));

      relay.holdUpstream(true);
      till.adjustStock("bun", 1); // based on the live item...
      handheld.deleteItem("bun"); // ...concurrently deleted: delete wins
      assertTrue(handheld.awaitSettled(WAIT));
      relay.holdUpstream(false);
      assertTrue(till.awaitSettled(WAIT));
      assertTrue(handheld.await(v -> v.lastAppliedSeq() == till.lastAppliedSeq(), WAIT));
      assertEquals(handheld.items(), till.items());
      assertTrue(till.item("bun").orElseThrow().deleted());
    }
  }

  @Test
  void aRefusedTokenStopsTheClient() throws Exception {
    List<String> states = new CopyOnWriteArrayList<>();
    try (LockstepClient stranger = LockstepClient.open(ClientConfig.builder()
        .serverUri(URI.create("ws://127.0.0.1:" + running.node().devicePort() + "/v1/devices/ws"))
        .deviceId("stranger")
        .token(() -> "not-a-token")
        .storePath(dir.resolve("stranger.store"))
        .listener(new ClientListener() {
          @Override
          public void onConnectionState(ConnectionState state, String detail) {
            states.add(state + " " + detail);
          }
        })
        .build())) {
      stranger.start();
      assertTrue(stranger.await(v -> v.connectionState() == ConnectionState.FAILED, WAIT));
      Thread.sleep(300);
      assertTrue(states.get(states.size() - 1).contains("unauthenticated"), states.toString());
      assertEquals(ConnectionState.FAILED, stranger.connectionState(), "no more attempts");
    }
  }
}
