package io.lockstep.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;

/**
 * Writes a protobuf message as its length-prefixed wire bytes and reads it back with the
 * generated class's {@code parser()}. The class itself is identified by its Kryo registration.
 */
final class ProtobufMessageSerializer extends Serializer<Message> {

  private static final ClassValue<Parser<?>> PARSERS =
      new ClassValue<>() {
        @Override
        protected Parser<?> computeValue(Class<?> type) {
          try {
            return (Parser<?>) type.getMethod("parser").invoke(null);
          } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException(type.getName() + " is not a generated protobuf message", e);
          }
        }
      };

  ProtobufMessageSerializer() {
    setImmutable(true);
  }

  @Override
  public void write(Kryo kryo, Output output, Message message) {
    byte[] bytes = message.toByteArray();
    output.writeVarInt(bytes.length, true);
    output.writeBytes(bytes);
  }

  @Override
  public Message read(Kryo kryo, Input input, Class<? extends Message> type) {
    byte[] bytes = input.readBytes(input.readVarInt(true));
    try {
      return (Message) PARSERS.get(type).parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new KryoException("invalid " + type.getName() + " bytes", e);
    }
  }
}
