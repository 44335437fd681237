package io.lockstep.merchant;

import static io.lockstep.testing.Mutations.upsertItem;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lockstep.domain.Authority;
import io.lockstep.merchant.MerchantEntity.PushResult;
import io.lockstep.merchant.MerchantEntity.SessionEvent;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.testing.TestSettings;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Sharding stops an entity with {@link MerchantEntity.Stop} on hand-off and passivation. Pushes
 * the entity has buffered for its next write must be stored and acknowledged first; otherwise
 * their devices wait for request-timeout and see "unavailable" on every rebalance or rolling
 * update.
 */
@ExtendWith(LogCapturingExtension.class)
class MerchantEntityHandOffTest {

  static final Config CONFIG =
      ConfigFactory.parseResources("serialization.conf")
          .withFallback(EventSourcedBehaviorTestKit.config())
          .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
          .resolve();
  static final ActorTestKit TEST_KIT = ActorTestKit.create("MerchantEntityHandOffTest", CONFIG);

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  @Test
  void stopRightAfterAPushStoresAndAcknowledgesThePushBeforeStopping() {
    String merchant = "handoff-" + System.nanoTime();
    ActorRef<MerchantEntity.Command> entity =
        TEST_KIT.spawn(MerchantEntity.create(merchant, TestSettings.ENTITY));
    TestProbe<SessionEvent> device = TEST_KIT.createTestProbe(SessionEvent.class);
    TestProbe<Object> watcher = TEST_KIT.createTestProbe();

    // Both arrive before the entity's own Flush: the Stop is handled while the push is buffered.
    entity.tell(new MerchantEntity.Push("d1", Authority.DEVICE, List.of(upsertItem(1, "i1", "Item", 100)), device.getRef()));
    entity.tell(MerchantEntity.Stop.INSTANCE);

    PushResult result = device.expectMessageClass(PushResult.class);
    assertEquals(AckStatus.ACCEPTED, result.acks().get(0).getStatus());
    assertEquals(1, result.acks().get(0).getSeq());
    watcher.expectTerminated(entity);
  }
}
