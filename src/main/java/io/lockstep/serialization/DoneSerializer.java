package io.lockstep.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import org.apache.pekko.Done;

/** Writes nothing and reads back the {@link Done} singleton. */
final class DoneSerializer extends Serializer<Done> {
  DoneSerializer() {
    setImmutable(true);
  }

  @Override
  public void write(Kryo kryo, Output output, Done done) {}

  @Override
  public Done read(Kryo kryo, Input input, Class<? extends Done> type) {
    return Done.getInstance();
  }
}
