package io.lockstep.device;

import static io.lockstep.testing.Mutations.restock;
import static io.lockstep.testing.Mutations.upsertItem;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lockstep.config.LockstepSettings;
import io.lockstep.merchant.MerchantEntity;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Hello;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Push;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.security.DeviceRevocations;
import io.lockstep.security.SigningKeys;
import io.lockstep.security.TokenService;
import io.lockstep.testing.TestDatabase;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A session pipelines its device's pushes: it forwards each at once, numbered 1, 2, 3…, so the
 * merchant can refuse a push whose predecessor never arrived (see {@code PushSequencesTest} and
 * {@code PipelinedPushPropertiesTest}). The merchant here is a probe under Cluster Sharding, so
 * the test sees exactly what the session forwards.
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
    TestProbe<DeviceSession.InboundAck> reads = testKit.createTestProbe(DeviceSession.InboundAck.class);
    String token = tokens.mint(new DevicePrincipal("ordered", "till"));
    session.tell(inbound(ClientFrame.newBuilder().setHello(Hello.newBuilder().setDeviceId("till").setToken(token)).build(), reads));
    MerchantEntity.Subscribe subscribe = merchant.expectMessageClass(MerchantEntity.Subscribe.class, Duration.ofSeconds(20));
    subscribe.inbox().tell(new MerchantEntity.Subscribed("ordered", 0, 0));

    session.tell(inbound(push(upsertItem(1, "coffee", "Coffee", 350)), reads));
    session.tell(inbound(push(restock(2, "coffee")), reads));

    MerchantEntity.Push first = merchant.expectMessageClass(MerchantEntity.Push.class);
    MerchantEntity.Push second = merchant.expectMessageClass(MerchantEntity.Push.class); // not waiting for acks
    assertEquals(List.of(1L, 2L), List.of(first.mutations().get(0).getCounter(), second.mutations().get(0).getCounter()));
    assertEquals(List.of(1L, 2L), List.of(first.sequence(), second.sequence()));
    assertEquals(List.of(0L, 0L), List.of(first.answered(), second.answered()), "neither answered when sent");
    assertEquals(first.replyTo(), second.replyTo(), "one session, one sequence");
  }

  private static ActorRef<DeviceSession.Command> session() {
    Pair<BoundedSourceQueue<Outgoing>, Source<Outgoing, NotUsed>> out =
        Source.<Outgoing>queue(64).preMaterialize(testKit.system());
    out.second().runWith(Sink.ignore(), testKit.system());
    return testKit.spawn(DeviceSession.create(out.first(), tokens, ClusterSharding.get(testKit.system()),
        settings.device(), SessionGuards.of(settings.limits(), DeviceRevocations.none())));
  }

  private static ClientFrame push(Mutation mutation) {
    return ClientFrame.newBuilder().setPush(Push.newBuilder().addMutations(mutation)).build();
  }

  private static DeviceSession.Inbound inbound(ClientFrame frame, TestProbe<DeviceSession.InboundAck> reads) {
    return new DeviceSession.Inbound(new DeviceSession.Received.Binary(ByteString.fromArray(frame.toByteArray())), reads.getRef());
  }
}
