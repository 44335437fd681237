package io.lockstep.serialization;

import io.lockstep.merchant.Recorded;
import static io.lockstep.testing.Mutations.adjustStock;
import static io.lockstep.testing.Mutations.base;
import static io.lockstep.testing.Mutations.upsertItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lockstep.domain.Authority;
import io.lockstep.domain.MerchantState;
import io.lockstep.domain.Outcome;
import io.lockstep.merchant.MerchantEntity;
import io.lockstep.merchant.StoredEventSerializer;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Item;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.protocol.v1.Snapshot;
import io.lockstep.storage.v1.MutationRecorded;
import io.lockstep.storage.v1.WriterAuthority;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Every message the entity and sessions exchange, every stored event and the snapshot, run
 * through the serializers the configuration binds: Kryo for transient messages, protobuf for
 * what the journal stores. A message type that is not registered, or that changes on the way,
 * fails here rather than between two nodes in production.
 */
class MessageSerializationTest {
  static final Config CONFIG =
      ConfigFactory.parseString("pekko.actor.provider = local")
          .withFallback(ConfigFactory.parseResources("serialization.conf"))
          .resolve();
  static final ActorTestKit TEST_KIT = ActorTestKit.create("MessageSerializationTest", CONFIG);

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  static Stream<Object> messages() {
    TestProbe<MerchantEntity.SessionEvent> session = TEST_KIT.createTestProbe(MerchantEntity.SessionEvent.class);
    TestProbe<MerchantEntity.View> views = TEST_KIT.createTestProbe(MerchantEntity.View.class);
    TestProbe<MerchantEntity.Devices> devices = TEST_KIT.createTestProbe(MerchantEntity.Devices.class);
    var mutation = upsertItem(1, "coffee", "Coffee", 350);
    var item = Item.newBuilder().setItemId("coffee").setName("Coffee").setStock(4).build();
    byte[] frame = ServerFrame.newBuilder().setSnapshot(Snapshot.newBuilder().setSeq(3).addItems(item)).build().toByteArray();
    var status = new MerchantEntity.DeviceStatus("d1", true, 7, 3, 1_700_000_000_000L, "pekko://lockstep@127.0.0.1:25520");
    return Stream.of(
        new MerchantEntity.Push("d1", Authority.DEVICE, List.of(mutation, adjustStock(2, "coffee", -1, base(Map.of("d1", 1L)))), session.getRef()),
        new MerchantEntity.Push("svc", Authority.SERVICE, List.of(mutation), "key-1", session.getRef()),
        new MerchantEntity.Subscribe("d1", 42, session.getRef(), session.getRef()),
        new MerchantEntity.Unsubscribe(session.getRef()),
        MerchantEntity.Stop.INSTANCE,
        new MerchantEntity.GetView(views.getRef()),
        new MerchantEntity.View("m1", 3, List.of(item), List.of(), List.of()),
        new MerchantEntity.GetDevices(devices.getRef()),
        new MerchantEntity.Devices("m1", List.of(status)),
        status,
        new MerchantEntity.PushResult(List.of(Ack.newBuilder().setCounter(1).setSeq(3).setStatus(AckStatus.ACCEPTED).build())),
        new MerchantEntity.Subscribed("m1", 3, 1),
        new MerchantEntity.Frame(MerchantEntity.Frame.Kind.SNAPSHOT_LAST, 3, 3, frame),
        new MerchantEntity.CatchUpFromJournal(4, 900),
        MerchantEntity.Refused.busy(java.time.Duration.ofMillis(1500)),
        new MerchantEntity.OutOfSequence(7),
        new Recorded(MutationRecorded.newBuilder()
            .setSeq(1).setDeviceId("d1").setAuthority(WriterAuthority.WRITER_DEVICE)
            .setMutation(mutation).setStatus(AckStatus.ACCEPTED).setItem(item).setRecordedAtMillis(1).build()),
        populatedState());
  }

  private static MerchantState populatedState() {
    MerchantState state = MerchantState.empty();
    var mapped = io.lockstep.serialization.DeviceProtocolMapper.toDomain("d1", Authority.DEVICE, upsertItem(1, "coffee", "Coffee", 350));
    Outcome outcome = state.apply(1, mapped);
    return outcome.state();
  }

  @ParameterizedTest
  @MethodSource("messages")
  void roundTripsThroughItsConfiguredSerializer(Object message) {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(TEST_KIT.system()));
    Serializer serializer = serialization.findSerializerFor(message);
    boolean stored = message instanceof StoredEvent || message instanceof MerchantState;
    Class<?> expected = stored ? StoredEventSerializer.class : KryoSerializer.class;
    assertEquals(expected, serializer.getClass(), message.getClass().getName() + " is bound to the wrong serializer");

    byte[] bytes = serialization.serialize(message).get();
    String manifest = Serializers.manifestFor(serializer, message);
    Object back = serialization.deserialize(bytes, serializer.identifier(), manifest).get();

    if (message instanceof MerchantState state) {
      assertTrue(Arrays.equals(MerchantStateCodec.toBytes(state), MerchantStateCodec.toBytes((MerchantState) back)));
    } else {
      assertEquals(message, back);
    }
  }

  @Test
  void everyTransientMessageOfTheEntityIsRegisteredForKryo() {
    List<String> registered = CONFIG.getStringList("lockstep.serialization.kryo-classes");
    List<String> missing = new ArrayList<>();
    for (Class<?> nested : MerchantEntity.class.getDeclaredClasses()) {
      boolean crossesNodes = TransientMessage.class.isAssignableFrom(nested) && !nested.isInterface()
          && java.lang.reflect.Modifier.isPublic(nested.getModifiers());
      if (crossesNodes && !registered.contains(nested.getName())) missing.add(nested.getName());
    }
    assertEquals(List.of(), missing, "public entity messages missing from lockstep.serialization.kryo-classes");
    for (String name : registered) {
      assertTrue(classExists(name), "kryo-classes names a class that does not exist: " + name);
    }
  }

  private static boolean classExists(String name) {
    try {
      Class.forName(name);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
