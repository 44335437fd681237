package io.lockstep.device;

import static io.lockstep.testing.Mutations.adjustStock;
import static io.lockstep.testing.Mutations.base;
import static io.lockstep.testing.Mutations.noOp;
import static io.lockstep.testing.Mutations.upsertItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.lockstep.LockstepNode;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Ping;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.protocol.v1.Welcome;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.testing.ServerRecords;
import io.lockstep.testing.TestDatabase;
import io.lockstep.testing.TestDevice;
import io.lockstep.testing.history.History;
import io.lockstep.testing.history.Verdict;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;

/**
 * The device protocol end to end: a real node (sharding, JDBC journal, HTTP server) and real
 * WebSocket clients over loopback sockets. Runs on H2 by default and on PostgreSQL with
 * {@code -Ppostgres}.
 */
@Tag("postgres")
@ExtendWith(LogCapturingExtension.class)
class DeviceWebSocketTest {
  static TestDatabase database;
  static LockstepNode node;

  @BeforeAll
  static void start() throws Exception {
    database = TestDatabase.create(DeviceWebSocketTest.class);
    node = LockstepNode.start(database.config());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
    if (database != null) database.close();
  }

  private final History history = new History(); // one per test; tests that check it use their own merchant

  private TestDevice device(String merchant, String device, long afterSeq) {
    return TestDevice.hello(node.devicePort(), device, node.tokens().mint(new DevicePrincipal(merchant, device)), afterSeq, history);
  }

  private void assertHistoryValid(String merchant, Map<String, Map<String, Message>> replicasAtTheHead) {
    Verdict verdict = ServerRecords.check(node, merchant, history, replicasAtTheHead);
    assertTrue(verdict.ok(), verdict::toString);
  }

  @Test
  void twoDevicesSyncAndTheOriginGetsItsAckThenTheChange() {
    try (TestDevice register = device("sync", "register", 0); TestDevice handheld = device("sync", "handheld", 0)) {
      register.welcome();
      handheld.welcome();

      register.push(upsertItem(1, "coffee", "Coffee", 350));

      Ack ack = register.ack();
      assertEquals(AckStatus.ACCEPTED, ack.getStatus());
      assertEquals(1, ack.getSeq());
      Change atOrigin = register.changes(1).get(0);
      Change atOther = handheld.changes(1).get(0);
      assertEquals(atOrigin, atOther);
      assertEquals("Coffee", atOther.getItem().getName());
      assertEquals("register", atOther.getDeviceId());
      assertEquals(1, atOther.getItem().getVersion().getCountersMap().get("register"));
      assertHistoryValid("sync", Map.of("register", register.replica(), "handheld", handheld.replica()));
    }
  }

  @Test
  void aDuplicateIsAckedAsSuchAndFansOutNothing() throws Exception {
    try (TestDevice register = device("dup", "register", 0); TestDevice handheld = device("dup", "handheld", 0)) {
      register.welcome();
      handheld.welcome();
      register.push(upsertItem(1, "coffee", "Coffee", 350));
      register.ack();
      handheld.changes(1);

      register.push(upsertItem(1, "coffee", "Coffee", 350));
      Ack duplicate = register.ack();
      assertEquals(AckStatus.DUPLICATE, duplicate.getStatus());

      register.push(upsertItem(2, "tea", "Tea", 250));
      List<Change> next = handheld.changes(1);
      assertEquals(2, next.get(0).getSeq(), "the duplicate produced no change in between");
      assertEquals("tea", next.get(0).getItem().getItemId());
      assertHistoryValid("dup", Map.of());
    }
  }

  @Test
  void aDeviceOfAnotherMerchantReceivesNothing() throws Exception {
    try (TestDevice a = device("tenant-a", "d1", 0); TestDevice b = device("tenant-b", "d1", 0)) {
      a.welcome();
      b.welcome();
      a.push(upsertItem(1, "secret", "Secret", 1));
      a.ack();
      a.changes(1);

      b.push(upsertItem(1, "own", "Own", 1));
      assertEquals(1, b.ack().getSeq(), "tenant-b has its own seq");
      List<Change> seen = b.changes(1);
      assertEquals("own", seen.get(0).getItem().getItemId());
      assertNull(b.pollChange(Duration.ofMillis(300)), "nothing of tenant-a reaches tenant-b");
    }
  }

  @Test
  void aMalformedFrameClosesOnlyItsOwnConnection() {
    try (TestDevice good = device("malformed", "good", 0); TestDevice bad = device("malformed", "bad", 0)) {
      good.welcome();
      bad.welcome();

      bad.sendRaw(new byte[] {(byte) 0xff, (byte) 0xff, 0x01, 0x02});

      assertEquals("bad-frame", bad.error().getCode());
      bad.awaitClose();
      good.push(upsertItem(1, "coffee", "Coffee", 350));
      assertEquals(AckStatus.ACCEPTED, good.ack().getStatus());
    }
  }

  @Test
  void theFirstFrameMustBeHello() {
    try (TestDevice device = TestDevice.connect(node.devicePort())) {
      device.send(ClientFrame.newBuilder().setPing(Ping.newBuilder().setNonce(7)).build());
      assertEquals("expected-hello", device.error().getCode());
      device.awaitClose();
    }
  }

  @Test
  void aBadTokenIsRefused() {
    try (TestDevice device = TestDevice.hello(node.devicePort(), "d1", "not-a-token", 0)) {
      assertEquals("unauthenticated", device.error().getCode());
      device.awaitClose();
    }
  }

  @Test
  void aHelloForAnotherDeviceThanTheTokenIsRefused() {
    String token = node.tokens().mint(new DevicePrincipal("pinned", "d1"));
    try (TestDevice device = TestDevice.hello(node.devicePort(), "d2", token, 0)) {
      assertEquals("device-mismatch", device.error().getCode());
      device.awaitClose();
    }
  }

  @Test
  void aPushWithAnUnknownOpIsRefusedWholeAndTheConnectionClosed() throws Exception {
    try (TestDevice device = device("unknown-op", "d1", 0); TestDevice other = device("unknown-op", "d2", 0)) {
      device.welcome();
      other.welcome();
      device.push(upsertItem(1, "coffee", "Coffee", 350), noOp(2));
      assertEquals("unknown-op", device.error().getCode());
      device.awaitClose();

      other.push(upsertItem(1, "tea", "Tea", 1));
      assertEquals(1, other.ack().getSeq(), "nothing of the refused push was stored");
    }
  }

  @Test
  void pingIsAnsweredWithPong() {
    try (TestDevice device = device("ping", "d1", 0)) {
      device.welcome();
      device.send(ClientFrame.newBuilder().setPing(Ping.newBuilder().setNonce(42)).build());
      ServerFrame pong = device.next();
      assertEquals(42, pong.getPong().getNonce());
    }
  }

  @Test
  void aReconnectingDeviceReceivesExactlyWhatItMissed() {
    try (TestDevice writer = device("resume", "writer", 0)) {
      writer.welcome();
      for (int i = 1; i <= 4; i++) {
        writer.push(upsertItem(i, "item-" + i, "Item", i));
        writer.ack();
      }
      writer.changes(4);
    }
    try (TestDevice late = device("resume", "late", 2)) {
      Welcome welcome = late.welcome();
      assertEquals(4, welcome.getHeadSeq());
      List<Change> missed = late.changes(2);
      assertEquals(List.of(3L, 4L), missed.stream().map(Change::getSeq).toList());
      assertHistoryValid("resume", Map.of());
    }
  }

  @Test
  void aWholeNodeRestartOnTheSameDataRecoversHeadSeqStateAndLastCounters() throws Exception {
    try (TestDevice register = device("restart", "register", 0)) {
      register.welcome();
      register.push(upsertItem(1, "coffee", "Coffee", 350), upsertItem(2, "tea", "Tea", 250));
      register.ack();
      register.ack();
      register.push(adjustStock(3, "coffee", 12, base(Map.of("register", 2L))));
      assertEquals(3, register.ack().getSeq());
    }

    node.close();
    node = LockstepNode.start(database.config());

    try (TestDevice register = device("restart", "register", 0)) {
      Welcome welcome = register.welcome();
      assertEquals(3, welcome.getHeadSeq());
      assertEquals(3, welcome.getLastCounter());
      List<Change> replayed = register.changes(3);
      Change last = replayed.get(2);
      assertEquals(12, last.getItem().getStock());
      register.push(adjustStock(3, "coffee", 12, base(Map.of("register", 2L))));
      assertEquals(AckStatus.DUPLICATE, register.ack().getStatus(), "idempotency survives the restart");
      register.push(upsertItem(4, "milk", "Milk", 90));
      Ack fresh = register.ack();
      assertEquals(AckStatus.ACCEPTED, fresh.getStatus());
      assertEquals(4, fresh.getSeq());
      assertEquals(4, register.changes(1).get(0).getSeq());
    }
  }
}
