package io.lockstep.serialization;

import io.lockstep.merchant.Recorded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lockstep.domain.MerchantState;
import io.lockstep.merchant.ChangeFrames;
import io.lockstep.merchant.MerchantEntity;
import io.lockstep.merchant.StoredEventSerializer;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import java.io.InputStream;
import io.lockstep.testing.TestSettings;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Events written by an earlier build, with fields missing, still replay. */
@ExtendWith(LogCapturingExtension.class)
class StoredEventCompatibilityTest {
  static final Config CONFIG =
      ConfigFactory.parseResources("serialization.conf")
          .withFallback(EventSourcedBehaviorTestKit.config())
          .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
          .resolve();
  static final ActorTestKit TEST_KIT = ActorTestKit.create("StoredEventCompatibilityTest", CONFIG);

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private static byte[] fixture() throws Exception {
    try (InputStream in = StoredEventCompatibilityTest.class.getResourceAsStream("/events/mutation-recorded-v0.bin")) {
      return in.readAllBytes();
    }
  }

  @Test
  void anEventWithoutTheLaterFieldsDecodesWithDefaults() throws Exception {
    StoredEventSerializer serializer = new StoredEventSerializer();
    Recorded event =
        (Recorded) serializer.fromBinary(fixture(), StoredEventSerializer.MUTATION_RECORDED);

    assertEquals(1, event.proto().getSeq());
    assertEquals("register", event.proto().getDeviceId());
    Change change = ChangeFrames.toChange(event.proto());
    assertEquals(AckStatus.ACCEPTED, change.getStatus(), "a missing status reads as accepted");
    assertFalse(change.hasItem());
  }

  @Test
  void anEntityRecoversFromTheOldEvent() throws Exception {
    StoredEventSerializer serializer = new StoredEventSerializer();
    Object event = serializer.fromBinary(fixture(), StoredEventSerializer.MUTATION_RECORDED);
    String merchant = "old-events";
    EventSourcedBehaviorTestKit<MerchantEntity.Command, MerchantEntity.Event, MerchantState> kit =
        EventSourcedBehaviorTestKit.create(TEST_KIT.system(), MerchantEntity.create(merchant, TestSettings.ENTITY));
    // The testkit starts from an empty journal; seed it, then recover from it.
    kit.persistenceTestKit().persistForRecovery(MerchantEntity.persistenceId(merchant).id(), List.of(event));
    MerchantState state = kit.restart().state();

    assertEquals(1, state.headSeq());
    assertEquals(1, state.lastCounter("register"));
    assertEquals("Coffee", state.items().get("coffee").name());
    assertEquals(350, state.items().get("coffee").priceCents());
  }

}
