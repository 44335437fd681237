package io.lockstep.device;

import static io.lockstep.testing.Mutations.restock;
import static io.lockstep.testing.Mutations.upsertItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.lockstep.merchant.MerchantEntity;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.protocol.v1.Snapshot;
import io.lockstep.protocol.v1.Welcome;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.testing.RunningNode;
import io.lockstep.testing.RunningMerchants;
import io.lockstep.testing.ServerRecords;
import io.lockstep.testing.TestDevice;
import io.lockstep.testing.history.History;
import io.lockstep.testing.history.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Devices in the real world, against a real node over real sockets: long offline periods
 * (journal catch-up and snapshots), slow devices, the switch from catch-up to live under
 * concurrent writers, and merchants that restart under connected devices. Each test ends by
 * checking its whole {@link History} against the merchant's change feed and state.
 */
@Tag("postgres")
@ExtendWith(LogCapturingExtension.class)
class DeviceResumeTest {
  static final int WINDOW = 100;
  static final int JOURNAL_LIMIT = 12_000;
  static final int BATCH = 200;

  @RegisterExtension static final RunningNode running = RunningNode.with("lockstep.entity.change-window-size = " + WINDOW + "\n"
      + "lockstep.entity.journal-catch-up-limit = " + JOURNAL_LIMIT + "\n"
      + "lockstep.device.heartbeat = 1s\n"
      + "lockstep.device.outgoing-buffer-frames = 16\n");

  private final History history = new History(); // one per test: each test has its own merchant

  private TestDevice device(String merchant, String device, long afterSeq) {
    return TestDevice.hello(running.node().devicePort(), device, running.node().tokens().mint(new DevicePrincipal(merchant, device)), afterSeq, history);
  }

  /** Checks everything this test's devices saw against the merchant's change feed and state. */
  private void assertHistoryValid(String merchant, Map<String, Map<String, Message>> replicasAtTheHead) {
    Verdict verdict = ServerRecords.check(running.node(), merchant, history, replicasAtTheHead);
    assertTrue(verdict.ok(), verdict::toString);
  }

  /** Creates item "stock" then restocks it until the merchant's head is {@code head}; returns the last counter. */
  private static long write(TestDevice writer, long firstCounter, long count) {
    long counter = firstCounter;
    long left = count;
    while (left > 0) {
      int n = (int) Math.min(BATCH, left);
      List<Mutation> batch = new ArrayList<>(n);
      for (int i = 0; i < n; i++, counter++) {
        batch.add(counter == 1 ? upsertItem(1, "stock", "Stock", 100) : restock(counter, "stock"));
      }
      writer.push(batch.toArray(Mutation[]::new));
      for (int i = 0; i < n; i++) assertEquals(AckStatus.ACCEPTED, writer.ack().getStatus());
      left -= n;
    }
    return counter - 1;
  }

  private static void assertContiguous(List<Change> changes, long first, long last) {
    assertEquals(last - first + 1, changes.size(), "exactly the changes " + first + ".." + last);
    for (int i = 0; i < changes.size(); i++) {
      assertEquals(first + i, changes.get(i).getSeq(), "change " + i + " in seq order, no gap, no repeat");
    }
  }

  @Test
  void aDeviceOfflineForTenThousandChangesGetsThemAllInOrderAndOnePastTheJournalLimitGetsASnapshot() throws Exception {
    String merchant = "offline";
    try (TestDevice writer = device(merchant, "writer", 0)) {
      writer.welcome();
      write(writer, 1, 13_000);
    }

    try (TestDevice back = device(merchant, "back-after-10k", 3_000)) {
      assertEquals(13_000, back.welcome().getHeadSeq());
      assertContiguous(back.changes(10_000), 3_001, 13_000);
      assertEquals(null, back.pollChange(Duration.ofMillis(200)), "nothing beyond the head");
    }

    try (TestDevice far = device(merchant, "far-behind", 0)) {
      far.welcome();
      List<Snapshot> chunks = new ArrayList<>();
      do {
        ServerFrame frame = far.next();
        assertTrue(frame.hasSnapshot(), "13,000 behind with a journal limit of 12,000: a snapshot");
        chunks.add(frame.getSnapshot());
      } while (!chunks.get(chunks.size() - 1).getLast());
      assertEquals(13_000, chunks.get(0).getSeq());
      assertEquals(1, chunks.stream().mapToInt(Snapshot::getItemsCount).sum());
      assertEquals(12_999, chunks.get(0).getItems(0).getStock());

      try (TestDevice writer = device(merchant, "writer", 13_000)) {
        assertEquals(13_000, writer.welcome().getLastCounter());
        writer.push(restock(13_001, "stock"));
        assertEquals(13_001, writer.ack().getSeq());
      }
      Change live = far.changes(1).get(0);
      assertEquals(13_001, live.getSeq(), "after the snapshot, live changes continue from its seq");
      assertEquals(13_000, live.getItem().getStock());
      assertHistoryValid(merchant, Map.of("far-behind", far.replica()));
    }
  }

  @Test
  void aSlowDeviceIsDroppedWithResyncAndResumesWithoutLossWhileAFastOneKeepsUp() throws Exception {
    String merchant = "slow";
    String longName = "x".repeat(250); // large changes (within the 256-char limit) fill TCP buffers sooner
    try (TestDevice writer = device(merchant, "writer", 0);
        TestDevice fast = device(merchant, "fast", 0);
        TestDevice slow = device(merchant, "slow", 0)) {
      writer.welcome();
      fast.welcome();
      slow.welcome();
      slow.pause();

      long counter = 0;
      int batches = 0;
      while (slowStillConnected(merchant)) {
        assertTrue(++batches <= 2_000, "the slow device was never dropped");
        List<Mutation> batch = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
          counter++;
          batch.add(upsertItem(counter, "item-" + (counter % 50), longName, counter));
        }
        writer.push(batch.toArray(Mutation[]::new));
        for (int i = 0; i < BATCH; i++) assertEquals(AckStatus.ACCEPTED, writer.ack().getStatus());
      }
      long head = counter;
      assertContiguous(fast.changes((int) head), 1, head);
      assertFalse(fast.isClosed(), "the fast device kept its session");

      slow.resume();
      List<Change> received = new ArrayList<>();
      ServerFrame error;
      while (true) {
        Change change = slow.pollChange(Duration.ofMillis(200));
        if (change != null) { received.add(change); continue; }
        error = slow.next();
        break;
      }
      assertEquals("resync", error.getError().getCode());
      long lastApplied = received.isEmpty() ? 0 : received.get(received.size() - 1).getSeq();
      assertContiguous(received, 1, lastApplied);
      assertTrue(lastApplied < head, "it was dropped before receiving everything");

      try (TestDevice again = device(merchant, "slow", lastApplied)) {
        again.welcome();
        assertContiguous(again.changes((int) (head - lastApplied)), lastApplied + 1, head);
        Map<String, Message> slowReplica = new HashMap<>(slow.replica());
        slowReplica.putAll(again.replica()); // one device across two connections
        assertHistoryValid(merchant, Map.of("fast", fast.replica(), "slow", slowReplica));
      }
    }
  }


  private static boolean slowStillConnected(String merchant) {
    MerchantEntity.Devices devices = ClusterSharding.get(running.node().system())
        .entityRefFor(MerchantEntity.ENTITY_KEY, merchant)
        .<MerchantEntity.Devices>ask(MerchantEntity.GetDevices::new, Duration.ofSeconds(10))
        .toCompletableFuture().join();
    return devices.devices().stream().anyMatch(d -> d.deviceId().equals("slow") && d.connected());
  }

  @RepeatedTest(5)
  void theSwitchFromCatchUpToLiveHasNoGapWhileOthersKeepWriting() throws Exception {
    String merchant = "switch-" + System.nanoTime();
    try (TestDevice writer = device(merchant, "writer", 0)) {
      writer.welcome();
      long counter = write(writer, 1, 3 * WINDOW); // the window holds only the last 100
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicLong lastSeq = new AtomicLong(3 * WINDOW);
      long start = counter + 1;
      CompletableFuture<Void> background = CompletableFuture.runAsync(() -> {
        long c = start;
        while (writing.get()) {
          writer.push(restock(c++, "stock"), restock(c++, "stock"));
          lastSeq.set(writer.ack().getSeq());
          lastSeq.set(writer.ack().getSeq());
        }
      });
      try (TestDevice reader = device(merchant, "reader", 50)) { // journal, then window, then live
        Welcome welcome = reader.welcome();
        assertTrue(welcome.getHeadSeq() >= 3 * WINDOW);
        List<Change> received = new ArrayList<>(reader.changes((int) (welcome.getHeadSeq() - 50)));
        writing.set(false);
        background.join();
        long last = lastSeq.get();
        received.addAll(reader.changes((int) (last - 50 - received.size())));
        assertContiguous(received, 51, last);
        assertEquals(null, reader.pollChange(Duration.ofMillis(200)), "no repeat after the last change");
        assertHistoryValid(merchant, Map.of("reader", reader.replica()));
      }
    }
  }

  @Test
  void sessionsSurviveTheirMerchantRestartingAndSeeOnlyAPause() {
    String merchant = "entity-restart";
    try (TestDevice a = device(merchant, "a", 0); TestDevice b = device(merchant, "b", 0)) {
      a.welcome();
      b.welcome();
      a.push(upsertItem(1, "stock", "Stock", 100));
      assertEquals(1, a.ack().getSeq());
      assertEquals(1, b.changes(1).get(0).getSeq());

      ClusterSharding.get(running.node().system())
          .entityRefFor(MerchantEntity.ENTITY_KEY, merchant)
          .tell(MerchantEntity.Stop.INSTANCE);
      // A stop outside passivation drops what arrives meanwhile (the device would time out and
      // resend); wait until the shard has let the entity go, so the push starts a new one.
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !RunningMerchants.isRunning(running.node().system(), merchant));
      a.push(restock(2, "stock"));
      Ack ack = a.ack();
      assertEquals(AckStatus.ACCEPTED, ack.getStatus());
      assertEquals(2, ack.getSeq());

      Change atB = b.changes(1).get(0);
      assertEquals(2, atB.getSeq(), "b re-subscribed from its last seq and got the change, no gap");
      assertEquals(1, atB.getItem().getStock());
      assertFalse(b.isClosed());
      assertHistoryValid(merchant, Map.of("b", b.replica()));
    }
  }
}
