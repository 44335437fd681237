package io.lockstep.merchant;

import static io.lockstep.testing.Mutations.restock;
import static io.lockstep.testing.Mutations.upsertItem;

import com.typesafe.config.ConfigFactory;
import io.lockstep.merchant.MerchantEntity.PushResult;
import io.lockstep.merchant.MerchantEntity.SessionEvent;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.testing.TestSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/**
 * A session pipelines its pushes; between it and the merchant any push may be lost, delivered
 * twice or (across a hand-off) out of order. Whatever the network does, the device's
 * {@code last_counter} never covers a mutation that is not stored: every counter up to it was
 * acknowledged as stored (ACCEPTED or DUPLICATE).
 */
class PipelinedPushPropertiesTest {
  private static final ActorTestKit TEST_KIT = ActorTestKit.create("PipelinedPushPropertiesTest",
      ConfigFactory.parseResources("serialization.conf")
          .withFallback(EventSourcedBehaviorTestKit.config())
          .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
          .resolve());
  private static final AtomicLong MERCHANTS = new AtomicLong();

  @AfterContainer
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  /** A device's pushes (sizes) and what the network delivered of them (indexes into the pushes). */
  record Scenario(List<Integer> pushSizes, List<Integer> delivered) {}

  @Provide
  Arbitrary<Scenario> networks() {
    return Arbitraries.integers().between(1, 3).list().ofMinSize(1).ofMaxSize(8).flatMap(sizes ->
        Arbitraries.integers().between(0, sizes.size() - 1).list().ofMinSize(0).ofMaxSize(sizes.size() * 2)
            .map(delivered -> new Scenario(sizes, delivered)));
  }

  @Property(tries = 60)
  void lastCounterNeverCoversAMutationThatIsNotStored(@ForAll("networks") Scenario scenario) {
    String merchant = "pipelined-" + MERCHANTS.incrementAndGet();
    ActorRef<MerchantEntity.Command> entity = TEST_KIT.spawn(MerchantEntity.create(merchant, TestSettings.ENTITY));
    TestProbe<SessionEvent> session = TEST_KIT.createTestProbe(SessionEvent.class);
    List<List<Mutation>> pushes = pushes(scenario.pushSizes());
    for (int index : scenario.delivered()) {
      entity.tell(MerchantEntity.Push.sequenced("till", pushes.get(index), index + 1, 0, session.getRef()));
    }
    // Every delivered push is answered, except those a refusal of an earlier one covers.
    Set<Long> stored = new HashSet<>();
    SessionEvent answer;
    while ((answer = next(session)) != null) {
      if (answer instanceof PushResult result) {
        for (Ack ack : result.acks()) {
          if (ack.getStatus() == AckStatus.ACCEPTED || ack.getStatus() == AckStatus.DUPLICATE) stored.add(ack.getCounter());
        }
      }
    }
    TestProbe<MerchantEntity.Devices> devices = TEST_KIT.createTestProbe(MerchantEntity.Devices.class);
    entity.tell(new MerchantEntity.GetDevices(devices.getRef()));
    long lastCounter = devices.receiveMessage().devices().stream()
        .filter(d -> d.deviceId().equals("till")).mapToLong(MerchantEntity.DeviceStatus::lastAckedCounter).max().orElse(0);
    for (long counter = 1; counter <= lastCounter; counter++) {
      if (!stored.contains(counter)) {
        throw new AssertionError("last_counter " + lastCounter + " covers counter " + counter
            + ", which is not stored; delivered " + scenario.delivered() + " of pushes " + scenario.pushSizes());
      }
    }
    TEST_KIT.stop(entity);
  }

  private static SessionEvent next(TestProbe<SessionEvent> session) {
    try {
      return session.expectMessageClass(SessionEvent.class, Duration.ofMillis(300));
    } catch (AssertionError quiet) {
      return null;
    }
  }

  /** Counters 1.. split into pushes of the given sizes: an item, then restocks of it. */
  private static List<List<Mutation>> pushes(List<Integer> sizes) {
    List<List<Mutation>> pushes = new ArrayList<>();
    long counter = 0;
    for (int size : sizes) {
      List<Mutation> push = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        counter++;
        push.add(counter == 1 ? upsertItem(1, "coffee", "Coffee", 350) : restock(counter, "coffee"));
      }
      pushes.add(push);
    }
    return pushes;
  }
}
