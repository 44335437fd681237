package io.lockstep.merchant;

import static io.lockstep.testing.Mutations.adjustStock;
import static io.lockstep.testing.Mutations.base;
import static io.lockstep.testing.Mutations.noOp;
import static io.lockstep.testing.Mutations.upsertItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lockstep.config.EntitySettings;
import io.lockstep.domain.Authority;
import io.lockstep.testing.TestSettings;
import io.lockstep.domain.MerchantState;
import io.lockstep.merchant.MerchantEntity.Frame;
import io.lockstep.merchant.MerchantEntity.PushResult;
import io.lockstep.merchant.MerchantEntity.SessionEvent;
import io.lockstep.merchant.MerchantEntity.Subscribed;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.StorageFailure;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every command path of the merchant entity, with every message run through serialization. */
@ExtendWith(LogCapturingExtension.class)
class MerchantEntityTest {

  static final Config CONFIG =
      ConfigFactory.parseResources("serialization.conf")
          .withFallback(EventSourcedBehaviorTestKit.config())
          .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
          .resolve();
  static final ActorTestKit TEST_KIT = ActorTestKit.create("MerchantEntityTest", CONFIG);

  static final EntitySettings SETTINGS = TestSettings.ENTITY;

  private EventSourcedBehaviorTestKit<MerchantEntity.Command, MerchantEntity.Event, MerchantState> kit;
  private TestProbe<SessionEvent> device;
  private String merchantId;

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    merchantId = "m-" + System.nanoTime();
    kit = EventSourcedBehaviorTestKit.create(TEST_KIT.system(), MerchantEntity.create(merchantId, SETTINGS));
    device = TEST_KIT.createTestProbe(SessionEvent.class);
  }

  private PushResult push(String deviceId, Mutation... mutations) {
    kit.runCommand(new MerchantEntity.Push(deviceId, Authority.DEVICE, List.of(mutations), device.getRef()));
    return device.expectMessageClass(PushResult.class);
  }

  @Test
  void acceptedMutationIsStoredAndAcknowledgedWithItsSeq() {
    PushResult result = push("d1", upsertItem(1, "coffee", "Coffee", 350));

    assertEquals(1, result.acks().size());
    assertEquals(AckStatus.ACCEPTED, result.acks().get(0).getStatus());
    assertEquals(1, result.acks().get(0).getSeq());
    MerchantState state = kit.getState();
    assertEquals(1, state.headSeq());
    assertEquals(1, state.lastCounter("d1"));
    assertEquals("Coffee", state.items().get("coffee").name());
  }

  @Test
  void redeliveredMutationIsAcknowledgedAsDuplicateAndStoresNothing() {
    push("d1", upsertItem(1, "coffee", "Coffee", 350));
    PushResult again = push("d1", upsertItem(1, "coffee", "Coffee", 350));

    assertEquals(AckStatus.DUPLICATE, again.acks().get(0).getStatus());
    assertEquals(0, again.acks().get(0).getSeq());
    assertEquals(1, kit.getState().headSeq());
    assertEquals(1, kit.persistenceTestKit().persistedInStorage(MerchantEntity.persistenceId(merchantId).id()).size());
  }

  @Test
  void structurallyInvalidMutationIsRejectedWithAReasonAndTheRestOfThePushApplies() {
    PushResult result = push("d1", noOp(1), upsertItem(2, "tea", "Tea", 250));

    assertEquals(AckStatus.REJECTED, result.acks().get(0).getStatus());
    assertFalse(result.acks().get(0).getReason().isEmpty());
    assertEquals(AckStatus.ACCEPTED, result.acks().get(1).getStatus());
    assertEquals(1, kit.getState().headSeq());
  }

  @Test
  void pushesArrivingDuringAWriteGoIntoTheNextSingleWrite() {
    CountDownLatch writeStarted = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<Integer> batchSizes = new CopyOnWriteArrayList<>();
    String merchant = "group-" + System.nanoTime();
    PersistenceTestKit journal = PersistenceTestKit.create(TEST_KIT.system());
    journal.withPolicy(new ProcessingPolicy<JournalOperation>() {
      @Override
      public ProcessingResult tryProcess(String persistenceId, JournalOperation op) {
        if (persistenceId.endsWith(merchant) && op instanceof WriteEvents write) {
          batchSizes.add(write.batch().size());
          if (batchSizes.size() == 1) {
            writeStarted.countDown();
            await(release);
          }
        }
        return ProcessingSuccess.getInstance();
      }
    });
    try {
      ActorRef<MerchantEntity.Command> entity = TEST_KIT.spawn(MerchantEntity.create(merchant, SETTINGS));
      TestProbe<SessionEvent> firstDevice = TEST_KIT.createTestProbe(SessionEvent.class);
      entity.tell(new MerchantEntity.Push("d0", Authority.DEVICE, List.of(upsertItem(1, "i0", "Item", 100)), firstDevice.getRef()));
      await(writeStarted);
      List<TestProbe<SessionEvent>> waiting = new ArrayList<>();
      for (int d = 1; d <= 5; d++) {
        TestProbe<SessionEvent> probe = TEST_KIT.createTestProbe(SessionEvent.class);
        waiting.add(probe);
        entity.tell(new MerchantEntity.Push("d" + d, Authority.DEVICE, List.of(upsertItem(1, "i" + d, "Item", 100)), probe.getRef()));
      }
      release.countDown(); // the write's reply is queued behind the five pushes

      assertEquals(1, firstDevice.expectMessageClass(PushResult.class).acks().get(0).getSeq());
      for (TestProbe<SessionEvent> probe : waiting) {
        assertEquals(AckStatus.ACCEPTED, probe.expectMessageClass(PushResult.class).acks().get(0).getStatus());
      }
      assertEquals(List.of(1, 5), batchSizes, "one write for the first push, one for all five that waited");
    } finally {
      journal.resetPolicy();
    }
  }

  @Test
  void recoveryRestoresHeadSeqStateAndEachDevicesLastCounter() {
    push("d1", upsertItem(1, "coffee", "Coffee", 350), upsertItem(2, "tea", "Tea", 250));
    push("d2", adjustStock(7, "coffee", 5, base(Map.of("d1", 1L))));

    MerchantState recovered = kit.restart().state();

    assertEquals(3, recovered.headSeq());
    assertEquals(2, recovered.lastCounter("d1"));
    assertEquals(7, recovered.lastCounter("d2"));
    assertEquals(5, recovered.items().get("coffee").stock());
  }

  @Test
  void subscriberGetsWelcomeDataThenEveryChangeInSeqOrderOriginIncluded() throws Exception {
    TestProbe<SessionEvent> session = TEST_KIT.createTestProbe(SessionEvent.class);
    kit.runCommand(new MerchantEntity.Subscribe("d2", 0, session.getRef(), session.getRef()));
    Subscribed subscribed = session.expectMessageClass(Subscribed.class);
    assertEquals(0, subscribed.headSeq());

    push("d1", upsertItem(1, "coffee", "Coffee", 350), upsertItem(2, "tea", "Tea", 250), upsertItem(3, "milk", "Milk", 90));

    List<Change> changes = new ArrayList<>();
    while (changes.size() < 3) changes.addAll(changesOf(session.expectMessageClass(Frame.class)));
    assertEquals(List.of(1L, 2L, 3L), changes.stream().map(Change::getSeq).toList());
    assertEquals("Coffee", changes.get(0).getItem().getName());
    assertEquals("d1", changes.get(0).getDeviceId());
  }

  @Test
  void lateSubscriberCatchesUpFromTheWindowWhenItHoldsTheRange() throws Exception {
    push("d1", upsertItem(1, "a", "A", 1), upsertItem(2, "b", "B", 1), upsertItem(3, "c", "C", 1));
    TestProbe<SessionEvent> session = TEST_KIT.createTestProbe(SessionEvent.class);

    kit.runCommand(new MerchantEntity.Subscribe("d2", 1, session.getRef(), session.getRef()));

    assertEquals(3, session.expectMessageClass(Subscribed.class).headSeq());
    List<Change> changes = new ArrayList<>();
    while (changes.size() < 2) changes.addAll(changesOf(session.expectMessageClass(Frame.class)));
    assertEquals(List.of(2L, 3L), changes.stream().map(Change::getSeq).toList());
  }

  @Test
  void subscriberBehindTheWindowReadsTheOlderPartFromTheJournalThenGetsTheWindow() throws Exception {
    for (int i = 1; i <= 7; i++) push("d1", upsertItem(i, "item-" + i, "Item " + i, i)); // window holds 3..7
    TestProbe<SessionEvent> session = TEST_KIT.createTestProbe(SessionEvent.class);

    kit.runCommand(new MerchantEntity.Subscribe("d2", 0, session.getRef(), session.getRef()));

    session.expectMessageClass(Subscribed.class);
    MerchantEntity.CatchUpFromJournal range = session.expectMessageClass(MerchantEntity.CatchUpFromJournal.class);
    assertEquals(1, range.fromSeq());
    assertEquals(2, range.toSeq());
    List<Change> rest = new ArrayList<>();
    while (rest.size() < 5) rest.addAll(changesOf(session.expectMessageClass(Frame.class)));
    assertEquals(List.of(3L, 4L, 5L, 6L, 7L), rest.stream().map(Change::getSeq).toList());
  }

  @Test
  void subscriberFurtherBehindThanTheJournalLimitGetsAChunkedSnapshot() throws Exception {
    for (int i = 1; i <= 12; i++) push("d1", upsertItem(i, "item-" + i, "Item " + i, i)); // limit is 10
    TestProbe<SessionEvent> session = TEST_KIT.createTestProbe(SessionEvent.class);

    kit.runCommand(new MerchantEntity.Subscribe("d2", 1, session.getRef(), session.getRef()));

    session.expectMessageClass(Subscribed.class);
    int items = 0;
    Frame frame;
    do {
      frame = session.expectMessageClass(Frame.class);
      ServerFrame decoded = ServerFrame.parseFrom(frame.serverFrame());
      assertTrue(decoded.hasSnapshot());
      assertEquals(12, decoded.getSnapshot().getSeq());
      items += decoded.getSnapshot().getItemsCount();
    } while (frame.kind() != Frame.Kind.SNAPSHOT_LAST);
    assertEquals(12, items);
  }

  @Test
  void stopMessagePassivates() {
    ActorRef<MerchantEntity.Command> entity = TEST_KIT.spawn(MerchantEntity.create("stop-" + System.nanoTime(), SETTINGS));
    TestProbe<Object> watcher = TEST_KIT.createTestProbe();
    entity.tell(MerchantEntity.Stop.INSTANCE);
    watcher.expectTerminated(entity, Duration.ofSeconds(5));
  }

  private static List<Change> changesOf(Frame frame) throws Exception {
    return ServerFrame.parseFrom(frame.serverFrame()).getChanges().getChangesList();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
