package io.lockstep.device;

import static io.lockstep.testing.Mutations.restock;
import static io.lockstep.testing.Mutations.upsertItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.config.DeviceSettings;
import io.lockstep.config.LockstepSettings;
import io.lockstep.merchant.MerchantEntity;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.Changes;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Hello;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Push;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.security.DeviceRevocations;
import io.lockstep.security.SigningKeys;
import io.lockstep.security.TokenService;
import io.lockstep.testing.TestDatabase;
import io.lockstep.testing.history.History;
import io.lockstep.testing.history.HistoryChecker;
import io.lockstep.testing.history.Verdict;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Ordering in a session, against a merchant that is a probe under Cluster Sharding, so the test
 * sees exactly what the session forwards and decides what the merchant answers and sends. Pushes
 * are pipelined: forwarded at once, numbered 1, 2, 3…, so the merchant can refuse a push whose
 * predecessor never arrived (see {@code PushSequencesTest} and {@code PipelinedPushPropertiesTest}).
 * Changes reach the device without a hole: a frame after a lost one (a remote message dropped, an
 * entity moved) is not forwarded; the session catches up from the last seq it delivered.
 */
@ExtendWith(LogCapturingExtension.class)
class DeviceSessionOrderingTest {
  static TestDatabase database;
  static ActorTestKit testKit;
  static LockstepSettings settings;
  static TokenService tokens;
  static TestProbe<MerchantEntity.Command> merchant;

  @BeforeAll
  static void start() {
    database = TestDatabase.create(DeviceSessionOrderingTest.class);
    testKit = ActorTestKit.create("DeviceSessionOrderingTest", database.config());
    settings = LockstepSettings.from(database.config());
    tokens = TokenService.of(SigningKeys.generate(), settings.tokens(), Clock.systemUTC());
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(new Join(cluster.selfMember().address()));
    merchant = testKit.createTestProbe(MerchantEntity.Command.class);
    ActorRef<MerchantEntity.Command> forward = merchant.getRef();
    ClusterSharding.get(testKit.system()).init(Entity.of(MerchantEntity.ENTITY_KEY,
        ctx -> Behaviors.<MerchantEntity.Command>receiveMessage(command -> {
          forward.tell(command);
          return Behaviors.same();
        })));
  }

  @AfterAll
  static void stop() {
    if (testKit != null) testKit.shutdownTestKit();
    if (database != null) database.close();
  }

  @Test
  void pushesAreForwardedAtOnceNumberedFromOne() {
    ActorRef<DeviceSession.Command> session = session();
    hello(session, "ordered");
    subscribedAtZero("ordered");

    session.tell(inbound(push(upsertItem(1, "coffee", "Coffee", 350))));
    session.tell(inbound(push(restock(2, "coffee"))));

    MerchantEntity.Push first = merchant.expectMessageClass(MerchantEntity.Push.class);
    MerchantEntity.Push second = merchant.expectMessageClass(MerchantEntity.Push.class); // not waiting for acks
    assertEquals(List.of(1L, 2L), List.of(first.mutations().get(0).getCounter(), second.mutations().get(0).getCounter()));
    assertEquals(List.of(1L, 2L), List.of(first.sequence(), second.sequence()));
    assertEquals(List.of(0L, 0L), List.of(first.answered(), second.answered()), "neither answered when sent");
    assertEquals(first.replyTo(), second.replyTo(), "one session, one sequence");
  }

  @Test
  void everyFrameThatArrivesBeforeTheSubscriptionIsForwardedInOrder() {
    ActorRef<DeviceSession.Command> session = session();
    hello(session, "early");
    // The socket reads on while the merchant has not answered yet: three pushes wait.
    for (long counter = 1; counter <= 3; counter++) session.tell(inbound(push(restock(counter, "coffee"))));
    subscribedAtZero("early");
    List<Long> counters = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      counters.add(merchant.expectMessageClass(MerchantEntity.Push.class).mutations().get(0).getCounter());
    }
    assertEquals(List.of(1L, 2L, 3L), counters, "none lost, none reordered");
    testKit.stop(session);
  }

  @Test
  void aPushRefusedAsOutOfSequenceIsSentAgainWithTheLaterOnesOnceTheEarlierOnesAreAnswered() {
    ActorRef<DeviceSession.Command> session = session();
    hello(session, "moved");
    subscribedAtZero("moved");
    for (long counter = 1; counter <= 3; counter++) {
      session.tell(inbound(push(restock(counter, "coffee"))));
    }
    MerchantEntity.Push first = merchant.expectMessageClass(MerchantEntity.Push.class);
    merchant.expectMessageClass(MerchantEntity.Push.class);
    merchant.expectMessageClass(MerchantEntity.Push.class);

    // The merchant moved after push 1: its new incarnation refuses 2 (and ignores 3).
    first.replyTo().tell(new MerchantEntity.OutOfSequence(2));
    merchant.expectNoMessage(Duration.ofMillis(300)); // push 1 is not answered yet
    first.replyTo().tell(new MerchantEntity.PushResult(List.of(
        io.lockstep.protocol.v1.Ack.newBuilder().setCounter(1).setSeq(1).setStatus(io.lockstep.protocol.v1.AckStatus.ACCEPTED).build())));

    MerchantEntity.Push two = merchant.expectMessageClass(MerchantEntity.Push.class);
    MerchantEntity.Push three = merchant.expectMessageClass(MerchantEntity.Push.class);
    assertEquals(List.of(2L, 3L), List.of(two.sequence(), three.sequence()));
    assertEquals(List.of(1L, 1L), List.of(two.answered(), three.answered()), "sent when push 1 was answered");
    assertEquals(List.of(2L, 3L), List.of(two.mutations().get(0).getCounter(), three.mutations().get(0).getCounter()));
  }

  @Test
  void aFrameAfterALostOneIsNotForwardedButCaughtUpFromTheLastDeliveredSeq() throws Exception {
    History history = new History();
    ActorRef<DeviceSession.Command> session = session(frame -> history.observe("till", frame));
    history.connected("till", 0);
    hello(session, "holes");
    MerchantEntity.Subscribe subscribe = subscribedAtZero("holes");

    subscribe.inbox().tell(changes(1, 2));
    subscribe.inbox().tell(changes(4, 4)); // 3 was lost on its way
    resubscribe(Duration.ofSeconds(3)).ifPresent(again -> {
      assertEquals(2, again.afterSeq(), "catch up from the last seq delivered");
      again.inbox().tell(changes(3, 4));
    });
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> history.events().get("till").stream()
        .anyMatch(e -> e instanceof History.Received r && r.seq() == 4));

    history.serverOrderFromChanges(ServerFrame.parseFrom(changes(1, 4).serverFrame()).getChanges().getChangesList());
    Verdict verdict = HistoryChecker.check(history);
    testKit.stop(session); // its heartbeat must not reach the probe during another test
    assertTrue(verdict.ok(), verdict::toString);
  }

  /**
   * The oldest unanswered push is due request-timeout after it was sent, or after the answer
   * before it: a push whose predecessor was answered late is not resent early, but once it is
   * overdue it is sent again (once), and a second silence closes the session with unavailable.
   */
  @Test
  void anUnansweredPushIsSentAgainOnceRequestTimeoutAfterThePreviousAnswerThenTheSessionCloses() {
    Duration timeout = Duration.ofMillis(1500);
    DeviceSettings device = settings.device();
    DeviceSettings quick = new DeviceSettings(device.helloTimeout(), timeout, device.heartbeat(),
        device.outgoingBufferFrames(), device.maxPushesInFlight(), device.idleTimeout(), device.coalesceBytes());
    List<ServerFrame> received = new java.util.concurrent.CopyOnWriteArrayList<>();
    ActorRef<DeviceSession.Command> session = session(quick, received::add);
    hello(session, "slow");
    subscribedAtZero("slow");
    session.tell(inbound(push(restock(1, "coffee"))));
    session.tell(inbound(push(restock(2, "coffee"))));
    MerchantEntity.Push first = merchant.expectMessageClass(MerchantEntity.Push.class);
    merchant.expectMessageClass(MerchantEntity.Push.class);
    long sent = System.nanoTime();

    merchant.expectNoMessage(Duration.ofMillis(1000));
    first.replyTo().tell(new MerchantEntity.PushResult(List.of(
        io.lockstep.protocol.v1.Ack.newBuilder().setCounter(1).setSeq(1).setStatus(io.lockstep.protocol.v1.AckStatus.ACCEPTED).build())));
    long answered = System.nanoTime();
    // Push 2 is due 1.5 s after the answer to push 1, not 1.5 s after it was sent.
    MerchantEntity.Push again = merchant.expectMessageClass(MerchantEntity.Push.class, Duration.ofSeconds(5));
    long resentAfterAnswer = System.nanoTime() - answered;
    assertEquals(2L, again.sequence());
    assertTrue(resentAfterAnswer >= timeout.toNanos() - Duration.ofMillis(100).toNanos(),
        "resent " + Duration.ofNanos(resentAfterAnswer) + " after the answer before it, "
            + Duration.ofNanos(System.nanoTime() - sent) + " after it was sent");

    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.stream()
        .anyMatch(f -> f.hasError() && f.getError().getCode().equals("unavailable")));
    merchant.expectNoMessage(Duration.ofMillis(200)); // sent again only once
  }

  /**
   * A push resent after {@code request-timeout} whose original was only slow (the database was
   * away) is answered twice: the merchant admits the redelivery ({@code PushSequences}) and its
   * mutations come back DUPLICATE. The device must get one answer for its one push, and the copy's
   * answer must not be taken for the answer of the next push. (Found by {@code chaos --fault
   * db-pause}: 291 of 300 devices closed with too-many-in-flight.)
   */
  @Test
  void aPushAnsweredAgainAfterItsResendIsAnsweredOnceToTheDevice() {
    DeviceSettings device = settings.device();
    DeviceSettings quick = new DeviceSettings(device.helloTimeout(), Duration.ofMillis(1000), device.heartbeat(),
        device.outgoingBufferFrames(), device.maxPushesInFlight(), device.idleTimeout(), device.coalesceBytes());
    List<ServerFrame> received = new java.util.concurrent.CopyOnWriteArrayList<>();
    ActorRef<DeviceSession.Command> session = session(quick, received::add);
    hello(session, "twice");
    subscribedAtZero("twice");
    session.tell(inbound(push(restock(1, "coffee"))));
    MerchantEntity.Push original = merchant.expectMessageClass(MerchantEntity.Push.class);
    MerchantEntity.Push copy = merchant.expectMessageClass(MerchantEntity.Push.class, Duration.ofSeconds(5));
    assertEquals(1L, copy.sequence(), "the unanswered push sent again");
    session.tell(inbound(push(restock(2, "coffee"))));
    merchant.expectMessageClass(MerchantEntity.Push.class);

    original.replyTo().tell(new MerchantEntity.PushResult(List.of(io.lockstep.protocol.v1.Ack.newBuilder()
        .setCounter(1).setSeq(1).setStatus(io.lockstep.protocol.v1.AckStatus.ACCEPTED).build())));
    copy.replyTo().tell(new MerchantEntity.PushResult(List.of(io.lockstep.protocol.v1.Ack.newBuilder()
        .setCounter(1).setStatus(io.lockstep.protocol.v1.AckStatus.DUPLICATE).build())));
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.stream().anyMatch(ServerFrame::hasAcks));
    merchant.expectNoMessage(Duration.ofMillis(300));

    List<ServerFrame> answers = received.stream().filter(ServerFrame::hasAcks).toList();
    assertEquals(1, answers.size(), "one answer for push 1 (push 2 is still unanswered): " + answers);
  }

  /** The session's next Subscribe, if it sends one within {@code wait}. */
  private static Optional<MerchantEntity.Subscribe> resubscribe(Duration wait) {
    try {
      return Optional.of(merchant.expectMessageClass(MerchantEntity.Subscribe.class, wait));
    } catch (AssertionError none) {
      return Optional.empty();
    }
  }

  /** A changes frame for seqs {@code first..last}, each written by device "writer" at counter = seq. */
  private static MerchantEntity.Frame changes(long first, long last) {
    Changes.Builder changes = Changes.newBuilder();
    for (long seq = first; seq <= last; seq++) {
      changes.addChanges(Change.newBuilder().setSeq(seq).setDeviceId("writer").setCounter(seq).setMutation(restock(seq, "coffee")));
    }
    byte[] bytes = ServerFrame.newBuilder().setChanges(changes).build().toByteArray();
    return new MerchantEntity.Frame(MerchantEntity.Frame.Kind.CHANGES, first, last, bytes);
  }

  private static ActorRef<DeviceSession.Command> session() {
    return session(frame -> {});
  }

  /** A session whose outgoing frames (journal ranges aside) go to {@code device}. */
  private static ActorRef<DeviceSession.Command> session(Consumer<ServerFrame> device) {
    return session(settings.device(), device);
  }

  private static ActorRef<DeviceSession.Command> session(DeviceSettings deviceSettings, Consumer<ServerFrame> device) {
    Outbox out = new Outbox() { // delivers at once: never full
      @Override public int size() { return 0; }

      @Override public void offer(Outgoing o) {
        if (!(o instanceof Outgoing.Frame frame)) return;
        try {
          device.accept(ServerFrame.parseFrom(frame.serverFrame()));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          throw new AssertionError(e);
        }
      }

      @Override public void complete() {}
    };
    return testKit.spawn(DeviceSession.create(out, tokens, ClusterSharding.get(testKit.system()),
        deviceSettings, SessionGuards.of(settings.limits(), DeviceRevocations.none()),
        new ConnectionLag(DeliveryLag.NONE)));
  }

  private static ClientFrame push(Mutation mutation) {
    return ClientFrame.newBuilder().setPush(Push.newBuilder().addMutations(mutation)).build();
  }

  /** Device "till" of {@code merchantId} says Hello. */
  private static void hello(ActorRef<DeviceSession.Command> session, String merchantId) {
    String token = tokens.mint(new DevicePrincipal(merchantId, "till"));
    session.tell(inbound(ClientFrame.newBuilder().setHello(Hello.newBuilder().setDeviceId("till").setToken(token)).build()));
  }

  /** The merchant probe takes the session's Subscribe and answers it at seq 0. */
  private static MerchantEntity.Subscribe subscribedAtZero(String merchantId) {
    MerchantEntity.Subscribe subscribe = merchant.expectMessageClass(MerchantEntity.Subscribe.class, Duration.ofSeconds(20));
    subscribe.inbox().tell(new MerchantEntity.Subscribed(merchantId, 0, 0));
    return subscribe;
  }

  /** A frame from the socket; releasing it does nothing here (no socket to resume). */
  private static DeviceSession.Inbound inbound(ClientFrame frame) {
    return new DeviceSession.Inbound(new DeviceSession.Received.Binary(frame.toByteArray()), () -> {});
  }
}
