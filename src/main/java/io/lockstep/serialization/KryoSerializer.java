package io.lockstep.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.Pool;
import io.lockstep.config.SerializationSettings;
import java.util.List;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.JSerializer;

/**
 * Pekko serializer for {@link TransientMessage}s, backed by Kryo with class registration
 * required.
 *
 * <p>Registrations, identical on every node:
 *
 * <pre>
 *   ids 0..9     Kryo's primitives and String
 *   ids 10..99   built in (see {@link KryoRegistrations}): byte[], Optional, JDK collections
 *                including immutable ones, typed and classic ActorRefs, java.time, UUID
 *   ids 100..    lockstep.serialization.kryo-classes, in list order
 * </pre>
 *
 * <p>Records, enums and protobuf messages in the list get suitable serializers automatically.
 * Kryo instances are not thread-safe, so each call borrows one from a pool.
 */
public final class KryoSerializer extends JSerializer {

  /** Serializer id written next to every payload; never change it. */
  public static final int IDENTIFIER = 1_770_001;

  private static final int INITIAL_BUFFER = 256;

  private final Pool<Kryo> pool;

  /** Created by Pekko's serialization extension. */
  public KryoSerializer(ExtendedActorSystem system) {
    List<String> classes =
        SerializationSettings.from(system.settings().config().getConfig("lockstep.serialization"))
            .kryoClasses();
    KryoRegistrations registrations = KryoRegistrations.load(classes, system);
    this.pool =
        new Pool<>(true, false, Math.max(4, Runtime.getRuntime().availableProcessors() * 2)) {
          @Override
          protected Kryo create() {
            return registrations.newKryo();
          }
        };
    // Fail at start-up, not on the first message, when a listed class cannot be registered.
    pool.free(pool.obtain());
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public boolean includeManifest() {
    return false;
  }

  @Override
  public byte[] toBinary(Object message) {
    Kryo kryo = pool.obtain();
    try (Output output = new Output(INITIAL_BUFFER, -1)) {
      kryo.writeClassAndObject(output, message);
      return output.toBytes();
    } catch (KryoException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Kryo cannot serialize " + message.getClass().getName() + " (is every class it holds listed in "
              + KryoRegistrations.CONFIG_KEY + "?): " + e.getMessage(),
          e);
    } finally {
      pool.free(kryo);
    }
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    Kryo kryo = pool.obtain();
    try (Input input = new Input(bytes)) {
      return kryo.readClassAndObject(input);
    } catch (KryoException | IllegalArgumentException e) {
      throw new IllegalArgumentException("Kryo cannot deserialize message: " + e.getMessage(), e);
    } finally {
      pool.free(kryo);
    }
  }
}
