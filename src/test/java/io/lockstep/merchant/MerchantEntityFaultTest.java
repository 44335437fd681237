package io.lockstep.merchant;

import static io.lockstep.testing.Mutations.restock;
import static io.lockstep.testing.Mutations.upsertItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lockstep.config.EntitySettings;
import io.lockstep.domain.Authority;
import io.lockstep.domain.Op;
import io.lockstep.merchant.MerchantEntity.PushResult;
import io.lockstep.merchant.MerchantEntity.Refused;
import io.lockstep.merchant.MerchantEntity.SessionEvent;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.testing.TestSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.StorageFailure;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the merchant entity does when something goes wrong: a journal write that fails once or
 * keeps failing, a rule that throws, a full buffer, a full stash. In every case each push gets an
 * answer; none is left to the device's timeout, and none is dropped in silence.
 */
@ExtendWith(LogCapturingExtension.class)
class MerchantEntityFaultTest {
  private static final int STASH_CAPACITY = 3;

  static final Config CONFIG =
      ConfigFactory.parseString("pekko.persistence.typed.stash-capacity = " + STASH_CAPACITY
              + "\npekko.persistence.typed.stash-overflow-strategy = drop")
          .withFallback(ConfigFactory.parseResources("serialization.conf"))
          .withFallback(EventSourcedBehaviorTestKit.config())
          .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
          .resolve();
  static final ActorTestKit TEST_KIT = ActorTestKit.create("MerchantEntityFaultTest", CONFIG);
  static final PersistenceTestKit JOURNAL = PersistenceTestKit.create(TEST_KIT.system());

  static {
    StashOverflowGuard.start(TEST_KIT.system(), TestSettings.ENTITY.busyRetryAfter(), MerchantObserver.NONE);
  }

  private final String merchant = "fault-" + System.nanoTime();

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  @AfterEach
  void resetJournal() {
    JOURNAL.resetPolicy();
  }

  @Test
  void aFailedWriteIsWrittenAgainAfterTheRestartAndAcknowledgedOnlyOnceItCommits() {
    AtomicInteger writes = failWrites(attempt -> attempt == 1);
    ActorRef<MerchantEntity.Command> entity = TEST_KIT.spawn(MerchantEntity.create(merchant, TestSettings.ENTITY));
    TestProbe<SessionEvent> device = TEST_KIT.createTestProbe(SessionEvent.class);

    entity.tell(push("d1", device, upsertItem(1, "coffee", "Coffee", 350)));

    PushResult result = device.expectMessageClass(PushResult.class, Duration.ofSeconds(10));
    assertEquals(AckStatus.ACCEPTED, result.acks().get(0).getStatus());
    assertEquals(1, result.acks().get(0).getSeq());
    assertEquals(2, writes.get(), "the failed write, then the one that committed");
    assertEquals(1, stored().size());
  }

  @Test
  void pushesBufferedBehindAFailedWriteKeepTheirPlaceAndAreStored() throws Exception {
    CountDownLatch firstWrite = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger writes = new AtomicInteger();
    JOURNAL.withPolicy(policy(op -> {
      int attempt = writes.incrementAndGet();
      if (attempt == 1) {
        firstWrite.countDown();
        await(release);
        return StorageFailure.create();
      }
      return ProcessingSuccess.getInstance();
    }));
    ActorRef<MerchantEntity.Command> entity = TEST_KIT.spawn(MerchantEntity.create(merchant, TestSettings.ENTITY));
    TestProbe<SessionEvent> first = TEST_KIT.createTestProbe(SessionEvent.class);
    TestProbe<SessionEvent> second = TEST_KIT.createTestProbe(SessionEvent.class);
    entity.tell(push("d1", first, upsertItem(1, "coffee", "Coffee", 350)));
    assertTrue(firstWrite.await(10, TimeUnit.SECONDS));
    entity.tell(push("d2", second, upsertItem(1, "tea", "Tea", 250)));
    release.countDown();

    assertEquals(1, first.expectMessageClass(PushResult.class, Duration.ofSeconds(10)).acks().get(0).getSeq());
    assertEquals(2, second.expectMessageClass(PushResult.class, Duration.ofSeconds(10)).acks().get(0).getSeq());
    assertEquals(2, stored().size());
  }

  @Test
  void writesThatKeepFailingAnswerEveryPushUnavailable() {
    AtomicInteger writes = failWrites(attempt -> true);
    ActorRef<MerchantEntity.Command> entity = TEST_KIT.spawn(MerchantEntity.create(merchant, TestSettings.ENTITY));
    TestProbe<SessionEvent> device = TEST_KIT.createTestProbe(SessionEvent.class);

    entity.tell(push("d1", device, upsertItem(1, "coffee", "Coffee", 350)));

    Refused refused = device.expectMessageClass(Refused.class, Duration.ofSeconds(10));
    assertEquals(Refused.UNAVAILABLE, refused.code());
    assertEquals(TestSettings.ENTITY.maxWriteAttempts(), writes.get());
    assertTrue(stored().isEmpty());
  }

  @Test
  void aMutationTheRulesFailOnIsRejectedAsInternalErrorAndTheRestOfTheBatchIsStored() {
    MerchantEntity.MergeRules failOnBoom = (state, seq, mutation) -> {
      if (mutation.op() instanceof Op.AdjustStock adjust && adjust.itemId().equals("boom")) {
        throw new IllegalStateException("a defect in a merge rule");
      }
      return state.apply(seq, mutation);
    };
    ActorRef<MerchantEntity.Command> entity =
        TEST_KIT.spawn(MerchantEntity.create(merchant, TestSettings.ENTITY, failOnBoom));
    TestProbe<SessionEvent> device = TEST_KIT.createTestProbe(SessionEvent.class);

    entity.tell(push("d1", device, upsertItem(1, "boom", "Boom", 100), restock(2, "boom"), upsertItem(3, "tea", "Tea", 250)));

    PushResult result = device.expectMessageClass(PushResult.class, Duration.ofSeconds(10));
    assertEquals(List.of(AckStatus.ACCEPTED, AckStatus.REJECTED, AckStatus.ACCEPTED),
        result.acks().stream().map(a -> a.getStatus()).toList());
    assertEquals(MerchantEntity.INTERNAL_ERROR, result.acks().get(1).getReason());
    assertEquals(List.of(1L, 2L), result.acks().stream().filter(a -> a.getSeq() > 0).map(a -> a.getSeq()).toList());
    assertEquals(2, stored().size());
  }

  @Test
  void thePersistPathRunsTheRulesOncePerMutation() {
    AtomicInteger decisions = new AtomicInteger();
    MerchantEntity.MergeRules counting = (state, seq, mutation) -> {
      decisions.incrementAndGet();
      return state.apply(seq, mutation);
    };
    ActorRef<MerchantEntity.Command> entity =
        TEST_KIT.spawn(MerchantEntity.create(merchant, TestSettings.ENTITY, counting));
    TestProbe<SessionEvent> device = TEST_KIT.createTestProbe(SessionEvent.class);

    entity.tell(push("d1", device, upsertItem(1, "coffee", "Coffee", 350), restock(2, "coffee")));
    device.expectMessageClass(PushResult.class, Duration.ofSeconds(10));

    assertEquals(2, decisions.get(), "the event handler applies what was resolved, it does not decide again");
  }

  @Test
  void aPushBeyondTheBufferBoundIsRefusedBusyAndStoresNothing() {
    EntitySettings small = withMaxBufferedMutations(2);
    ActorRef<MerchantEntity.Command> entity = TEST_KIT.spawn(MerchantEntity.create(merchant, small));
    TestProbe<SessionEvent> device = TEST_KIT.createTestProbe(SessionEvent.class);

    entity.tell(push("d1", device, upsertItem(1, "a", "A", 1), upsertItem(2, "b", "B", 1), upsertItem(3, "c", "C", 1)));

    Refused refused = device.expectMessageClass(Refused.class, Duration.ofSeconds(10));
    assertEquals(Refused.BUSY, refused.code());
    assertEquals(small.busyRetryAfter(), refused.retryAfter());
    device.expectNoMessage(Duration.ofMillis(200));
    assertTrue(stored().isEmpty());
  }

  @Test
  void pushesThatOverflowTheStashDuringAWriteAreAnsweredBusyAndTheRestAreStored() {
    CountDownLatch writeStarted = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger writes = new AtomicInteger();
    JOURNAL.withPolicy(policy(op -> {
      if (writes.incrementAndGet() == 1) {
        writeStarted.countDown();
        await(release);
      }
      return ProcessingSuccess.getInstance();
    }));
    ActorRef<MerchantEntity.Command> entity = TEST_KIT.spawn(MerchantEntity.create(merchant, TestSettings.ENTITY));
    TestProbe<SessionEvent> first = TEST_KIT.createTestProbe(SessionEvent.class);
    entity.tell(push("d0", first, upsertItem(1, "i0", "Item", 100)));
    await(writeStarted);
    List<TestProbe<SessionEvent>> waiting = new ArrayList<>();
    for (int d = 1; d <= STASH_CAPACITY + 2; d++) {
      TestProbe<SessionEvent> probe = TEST_KIT.createTestProbe(SessionEvent.class);
      waiting.add(probe);
      entity.tell(push("d" + d, probe, upsertItem(1, "i" + d, "Item", 100)));
    }
    release.countDown();

    first.expectMessageClass(PushResult.class, Duration.ofSeconds(10));
    int accepted = 0;
    int busy = 0;
    for (TestProbe<SessionEvent> probe : waiting) {
      SessionEvent answer = probe.expectMessageClass(SessionEvent.class, Duration.ofSeconds(10));
      if (answer instanceof Refused refused) {
        assertEquals(Refused.BUSY, refused.code());
        busy++;
      } else {
        assertEquals(AckStatus.ACCEPTED, assertInstanceOf(PushResult.class, answer).acks().get(0).getStatus());
        accepted++;
      }
    }
    assertTrue(busy > 0, "some pushes overflowed the stash of " + STASH_CAPACITY);
    assertEquals(STASH_CAPACITY + 2, accepted + busy, "every push answered");
    assertEquals(1 + accepted, stored().size());
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static MerchantEntity.Push push(String deviceId, TestProbe<SessionEvent> replyTo, Mutation... mutations) {
    return new MerchantEntity.Push(deviceId, Authority.DEVICE, List.of(mutations), replyTo.getRef());
  }

  private List<Object> stored() {
    return JOURNAL.persistedInStorage(MerchantEntity.persistenceId(merchant).id());
  }

  /** Fails the writes of this test's merchant whose attempt number (from 1) matches. */
  private AtomicInteger failWrites(Predicate<Integer> failing) {
    AtomicInteger writes = new AtomicInteger();
    JOURNAL.withPolicy(policy(op -> failing.test(writes.incrementAndGet())
        ? StorageFailure.create() : ProcessingSuccess.getInstance()));
    return writes;
  }

  private ProcessingPolicy<JournalOperation> policy(java.util.function.Function<WriteEvents, ProcessingResult> onWrite) {
    return new ProcessingPolicy<>() {
      @Override
      public ProcessingResult tryProcess(String persistenceId, JournalOperation op) {
        if (persistenceId.endsWith(merchant) && op instanceof WriteEvents write) return onWrite.apply(write);
        return ProcessingSuccess.getInstance();
      }
    };
  }

  private static EntitySettings withMaxBufferedMutations(int max) {
    EntitySettings s = TestSettings.ENTITY;
    return new EntitySettings(s.snapshotEvery(), s.changeWindowSize(), s.changeWindowBytes(), s.changesPerFrame(),
        s.recordsPerSnapshotChunk(), s.passivationIdleTimeout(), s.askTimeout(), s.restartMinBackoff(),
        s.restartMaxBackoff(), s.journalCatchUpLimit(), s.idempotencyKeys(), max, s.busyRetryAfter(),
        s.maxWriteAttempts(), s.syncRecentWindow());
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
