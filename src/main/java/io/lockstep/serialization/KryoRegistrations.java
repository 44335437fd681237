package io.lockstep.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.serializers.DefaultSerializers;
import com.esotericsoftware.kryo.serializers.OptionalSerializers;
import com.esotericsoftware.kryo.serializers.TimeSerializers;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import com.esotericsoftware.kryo.util.MapReferenceResolver;
import com.google.protobuf.Message;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ExtendedActorSystem;

/**
 * The class registrations of {@link KryoSerializer}: built-in types at fixed ids 10..99, then the
 * configured classes from id {@value #FIRST_CONFIGURED_ID} in list order.
 */
final class KryoRegistrations {

  static final int FIRST_BUILT_IN_ID = 10;
  static final int FIRST_CONFIGURED_ID = 100;
  static final String CONFIG_KEY = "lockstep.serialization.kryo-classes";

  private final List<Class<?>> configured;
  private final ActorRefSerializers actorRefs;

  private KryoRegistrations(ExtendedActorSystem system, List<Class<?>> configured) {
    this.configured = configured;
    this.actorRefs = new ActorRefSerializers(system);
  }

  /**
   * Resolves the configured class names.
   *
   * @throws IllegalArgumentException naming the class that cannot be loaded
   */
  static KryoRegistrations load(List<String> classNames, ExtendedActorSystem system) {
    ClassLoader loader = system.dynamicAccess().classLoader();
    List<Class<?>> classes = new ArrayList<>();
    for (String name : classNames) {
      try {
        classes.add(Class.forName(name, false, loader));
      } catch (ClassNotFoundException | LinkageError e) {
        throw new IllegalArgumentException(CONFIG_KEY + " names a class that cannot be loaded: " + name, e);
      }
    }
    return new KryoRegistrations(system, List.copyOf(classes));
  }

  /** A new, fully registered Kryo instance. */
  Kryo newKryo() {
    Kryo kryo = new Kryo(new SubtypeClassResolver(), new MapReferenceResolver());
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    kryo.addDefaultSerializer(Message.class, new ProtobufMessageSerializer());

    List<Builtin> builtins = builtins();
    for (int i = 0; i < builtins.size(); i++) {
      Builtin builtin = builtins.get(i);
      int id = FIRST_BUILT_IN_ID + i;
      if (builtin.serializer == null) {
        kryo.register(builtin.type, id);
      } else {
        kryo.register(builtin.type, builtin.serializer, id);
      }
    }
    for (int i = 0; i < configured.size(); i++) {
      Class<?> type = configured.get(i);
      try {
        kryo.register(type, FIRST_CONFIGURED_ID + i);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            CONFIG_KEY + ": cannot register " + type.getName() + ": " + e.getMessage(), e);
      }
    }
    return kryo;
  }

  private record Builtin(Class<?> type, Serializer<?> serializer) {}

  /**
   * The built-in registrations; the position decides the id. Append only: inserting or removing
   * an entry renumbers everything after it and breaks mixed-version clusters.
   */
  private List<Builtin> builtins() {
    var immutableList = JdkCollectionSerializers.immutableList();
    var immutableSet = JdkCollectionSerializers.immutableSet();
    var immutableMap = JdkCollectionSerializers.immutableMap();
    return List.of(
        new Builtin(byte[].class, null),
        new Builtin(Optional.class, new OptionalSerializers.OptionalSerializer()),
        new Builtin(ArrayList.class, null),
        new Builtin(HashMap.class, null),
        new Builtin(LinkedHashMap.class, null),
        new Builtin(TreeMap.class, null),
        new Builtin(HashSet.class, null),
        new Builtin(LinkedHashSet.class, null),
        new Builtin(TreeSet.class, null),
        new Builtin(List.of(1).getClass(), immutableList), // ImmutableCollections$List12
        new Builtin(List.of().getClass(), immutableList), // ImmutableCollections$ListN
        new Builtin(Set.of(1).getClass(), immutableSet), // ImmutableCollections$Set12
        new Builtin(Set.of().getClass(), immutableSet), // ImmutableCollections$SetN
        new Builtin(Map.of(1, 1).getClass(), immutableMap), // ImmutableCollections$Map1
        new Builtin(Map.of().getClass(), immutableMap), // ImmutableCollections$MapN
        new Builtin(Collections.unmodifiableList(new java.util.LinkedList<>()).getClass(), immutableList),
        new Builtin(Collections.unmodifiableList(new ArrayList<>()).getClass(), immutableList),
        new Builtin(Collections.unmodifiableSet(new HashSet<>()).getClass(), immutableSet),
        new Builtin(Collections.unmodifiableMap(new HashMap<>()).getClass(), immutableMap),
        new Builtin(Collections.emptyList().getClass(), immutableList),
        new Builtin(Collections.emptySet().getClass(), immutableSet),
        new Builtin(Collections.emptyMap().getClass(), immutableMap),
        new Builtin(Collections.singletonList(1).getClass(), immutableList),
        new Builtin(Collections.singleton(1).getClass(), immutableSet),
        new Builtin(Collections.singletonMap(1, 1).getClass(), immutableMap),
        new Builtin(Arrays.asList(1).getClass(), immutableList),
        new Builtin(org.apache.pekko.actor.typed.ActorRef.class, actorRefs.typed()),
        new Builtin(ActorRef.class, actorRefs.classic()),
        new Builtin(UUID.class, new DefaultSerializers.UUIDSerializer()),
        new Builtin(Instant.class, new TimeSerializers.InstantSerializer()),
        new Builtin(Duration.class, new TimeSerializers.DurationSerializer()),
        new Builtin(LocalDate.class, new TimeSerializers.LocalDateSerializer()),
        new Builtin(BigDecimal.class, new DefaultSerializers.BigDecimalSerializer()),
        new Builtin(BigInteger.class, new DefaultSerializers.BigIntegerSerializer()),
        new Builtin(Done.class, new DoneSerializer()));
  }

  /**
   * Maps runtime subclasses of ActorRef (local, remote, adapter…) and Done's singleton class to
   * their registered supertype, so a message holding one needs no per-implementation entry.
   */
  private static final class SubtypeClassResolver extends DefaultClassResolver {
    @Override
    public Registration getRegistration(Class type) {
      Registration registration = super.getRegistration(type);
      if (registration != null) {
        return registration;
      }
      if (org.apache.pekko.actor.typed.ActorRef.class.isAssignableFrom(type)) {
        return super.getRegistration(org.apache.pekko.actor.typed.ActorRef.class);
      }
      if (ActorRef.class.isAssignableFrom(type)) {
        return super.getRegistration(ActorRef.class);
      }
      if (Done.class.isAssignableFrom(type)) {
        return super.getRegistration(Done.class);
      }
      return null;
    }
  }
}
