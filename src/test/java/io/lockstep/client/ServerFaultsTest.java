package io.lockstep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.domain.OrderState;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.Changes;
import io.lockstep.protocol.v1.Hello;
import io.lockstep.protocol.v1.Item;
import io.lockstep.protocol.v1.Order;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.protocol.v1.Snapshot;
import io.lockstep.protocol.v1.VersionVector;
import io.lockstep.protocol.v1.Welcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a scripted server sending what a real node never does: a record this client
 * cannot read makes it resync from seq 0 and tell its listener, never skip the record; a frame over
 * {@code maxFrameBytes}, however fragmented, is refused before it is buffered.
 */
class ServerFaultsTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final VersionVector SERVICE_1 = VersionVector.newBuilder().putCounters("svc", 1).build();
  private static final Item COFFEE = Item.newBuilder().setItemId("coffee").setName("Coffee")
      .setSku("C-1").setPriceCents(350).setVersion(SERVICE_1).build();

  @TempDir Path dir;

  /** What the client told its listener about faults. */
  private static final class Faults implements ClientListener {
    final List<String> resyncs = new CopyOnWriteArrayList<>();
    final List<String> protocolErrors = new CopyOnWriteArrayList<>();

    @Override
    public void onResync(String reason) {
      resyncs.add(reason);
    }

    @Override
    public void onProtocolError(String reason) {
      protocolErrors.add(reason);
    }
  }

  private LockstepClient client(ScriptedServer server, ClientListener listener, int maxFrameBytes) {
    return LockstepClient.open(builder(server, listener).maxFrameBytes(maxFrameBytes).build());
  }

  private ClientConfig.Builder builder(ScriptedServer server, ClientListener listener) {
    return ClientConfig.builder()
        .serverUri(server.uri())
        .deviceId("till")
        .token(() -> "scripted")
        .storePath(dir.resolve("till.store"))
        .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
        .random(new Random(1))
        .listener(listener);
  }

  private static ServerFrame welcome(long headSeq) {
    return ServerFrame.newBuilder().setWelcome(Welcome.newBuilder().setMerchantId("m").setHeadSeq(headSeq)).build();
  }

  private static ServerFrame changes(Change... changes) {
    return ServerFrame.newBuilder().setChanges(Changes.newBuilder().addAllChanges(List.of(changes))).build();
  }

  private static Change.Builder change(long seq) {
    return Change.newBuilder().setSeq(seq).setDeviceId("svc").setCounter(seq);
  }

  private static Hello nextHello(ScriptedServer server) throws InterruptedException {
    Hello hello = server.hellos().poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertNotNull(hello, "no Hello within " + WAIT);
    return hello;
  }

  @Test
  void aRecordTheClientCannotReadMakesItResyncFromSeqZeroAndTellTheListener() throws Exception {
    Order fromNewerServer = Order.newBuilder().setOrderId("o1").setStateValue(9).setVersion(SERVICE_1).build();
    Order paid = fromNewerServer.toBuilder().setState(io.lockstep.protocol.v1.OrderState.PAID).build();
    ScriptedServer.Script script = (n, hello, peer) -> {
      peer.send(welcome(2));
      if (n == 0) {
        peer.send(changes(change(1).setItem(COFFEE).build(), change(2).setOrder(fromNewerServer).build()));
      } else {
        peer.send(ServerFrame.newBuilder().setSnapshot(Snapshot.newBuilder().setSeq(2).setLast(true)
            .addItems(COFFEE).addOrders(paid)).build());
      }
    };
    Faults faults = new Faults();
    try (ScriptedServer server = new ScriptedServer(script);
        LockstepClient till = client(server, faults, ClientConfig.DEFAULT_MAX_FRAME_BYTES)) {
      till.start();
      assertEquals(0, nextHello(server).getAfterSeq());
      assertEquals(0, nextHello(server).getAfterSeq(), "the resync starts from seq 0, not after the item");
      assertTrue(till.await(v -> v.lastAppliedSeq() == 2 && v.orders().containsKey("o1"), WAIT), till.view().toString());
      assertEquals(OrderState.PAID, till.order("o1").orElseThrow().state());
      assertTrue(till.item("coffee").isPresent());
      assertEquals(1, faults.resyncs.size(), faults.resyncs.toString());
      assertTrue(faults.resyncs.get(0).contains("seq 2") && faults.resyncs.get(0).contains("order state 9"),
          faults.resyncs.get(0));
    }
  }

  @Test
  void aFragmentedFrameOverTheBoundIsRefusedAndTheClientReconnects() throws Exception {
    Item big = COFFEE.toBuilder().setName("x".repeat(4096)).build();
    ScriptedServer.Script script = (n, hello, peer) -> {
      peer.send(welcome(1));
      if (n == 0) {
        peer.sendFragmented(changes(change(1).setItem(big).build()), 512);
      } else {
        peer.send(changes(change(1).setItem(COFFEE).build()));
      }
    };
    Faults faults = new Faults();
    try (ScriptedServer server = new ScriptedServer(script); LockstepClient till = client(server, faults, 2048)) {
      till.start();
      assertEquals(0, nextHello(server).getAfterSeq());
      assertEquals(0, nextHello(server).getAfterSeq(), "reconnected without applying the oversize frame");
      assertTrue(till.await(v -> v.lastAppliedSeq() == 1, WAIT), till.view().toString());
      assertEquals("Coffee", till.item("coffee").orElseThrow().name());
      assertEquals(List.of("server frame over maxFrameBytes (2048 bytes)"), faults.protocolErrors);
      assertTrue(faults.resyncs.isEmpty(), faults.resyncs.toString());
    }
  }

  @Test
  void aFaultTheServerRepeatsBacksOffInsteadOfReconnectingInATightLoop() throws Exception {
    Order fromNewerServer = Order.newBuilder().setOrderId("o1").setStateValue(9).setVersion(SERVICE_1).build();
    ScriptedServer.Script script = (n, hello, peer) -> {
      peer.send(welcome(1));
      peer.send(changes(change(1).setOrder(fromNewerServer).build()));
    };
    Faults faults = new Faults();
    try (ScriptedServer server = new ScriptedServer(script);
        LockstepClient till = LockstepClient.open(
            builder(server, faults).backoff(Duration.ofMillis(100), Duration.ofSeconds(5)).build())) {
      till.start();
      Thread.sleep(3_000);
      // A reset backoff reconnects every 100 ms (about 25 times); a growing one about 6 times.
      int connections = server.hellos().size();
      assertTrue(connections >= 3 && connections <= 10, "connections in 3 s: " + connections);
      assertTrue(faults.resyncs.size() >= 3, "every resync is reported: " + faults.resyncs);
      assertEquals(0, till.lastAppliedSeq());
    }
  }
}
