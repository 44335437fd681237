package io.lockstep.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;

/** Kryo serializers writing actor references as their serialization-format path. */
final class ActorRefSerializers {

  private final ExtendedActorSystem system;
  // Looked up on first use: the serializer is created while the actor system is still starting.
  private volatile ActorRefResolver resolver;

  ActorRefSerializers(ExtendedActorSystem system) {
    this.system = system;
  }

  Serializer<org.apache.pekko.actor.typed.ActorRef<?>> typed() {
    return new Serializer<>(false, true) {
      @Override
      public void write(Kryo kryo, Output output, org.apache.pekko.actor.typed.ActorRef<?> ref) {
        output.writeString(resolver().toSerializationFormat(ref));
      }

      @Override
      public org.apache.pekko.actor.typed.ActorRef<?> read(
          Kryo kryo, Input input, Class<? extends org.apache.pekko.actor.typed.ActorRef<?>> type) {
        return resolver().resolveActorRef(input.readString());
      }
    };
  }

  Serializer<ActorRef> classic() {
    return new Serializer<>(false, true) {
      @Override
      public void write(Kryo kryo, Output output, ActorRef ref) {
        output.writeString(Serialization.serializedActorPath(ref));
      }

      @Override
      public ActorRef read(Kryo kryo, Input input, Class<? extends ActorRef> type) {
        return system.provider().resolveActorRef(input.readString());
      }
    };
  }

  private ActorRefResolver resolver() {
    ActorRefResolver current = resolver;
    if (current == null) {
      current = ActorRefResolver.get(Adapter.toTyped(system));
      resolver = current;
    }
    return current;
  }
}
