package io.lockstep.testing;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import io.lockstep.config.LockstepConfig;
import io.lockstep.serialization.KryoSerializer;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;

/** Sends a message through the serializer a node would pick for it, and back. */
public final class KryoRoundTrip {
  private KryoRoundTrip() {}

  /** A local actor system with the shipped configuration (and so the shipped Kryo class list). */
  public static ActorTestKit shippedConfig(String name) {
    return ActorTestKit.create(name, LockstepConfig.load(Map.of(), ConfigFactory.parseMap(Map.of(
        "pekko.actor.provider", "local", "lockstep.data-dir", System.getProperty("java.io.tmpdir")))));
  }

  /** {@code message} serialized with Kryo (asserted) and deserialized again. */
  public static Object roundTrip(ActorSystem<?> system, Object message) {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
    var serializer = serialization.findSerializerFor(message);
    assertInstanceOf(KryoSerializer.class, serializer);
    byte[] bytes = serialization.serialize(message).get();
    return serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message)).get();
  }
}
