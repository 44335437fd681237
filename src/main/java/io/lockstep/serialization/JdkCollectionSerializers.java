package io.lockstep.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Serializers for the JDK's unmodifiable collections ({@code List.of}, {@code Map.copyOf},
 * {@code Collections.unmodifiable*}, {@code Collections.empty*}, singletons, {@code
 * Arrays.asList}), which cannot be instantiated reflectively. They read back an unmodifiable
 * collection with the same elements and iteration order; the concrete JDK class may differ.
 */
final class JdkCollectionSerializers {

  private JdkCollectionSerializers() {}

  static Serializer<List<?>> immutableList() {
    return new Serializer<>(true, true) {
      @Override
      public void write(Kryo kryo, Output output, List<?> list) {
        writeElements(kryo, output, list);
      }

      @Override
      public List<?> read(Kryo kryo, Input input, Class<? extends List<?>> type) {
        List<Object> elements = readElements(kryo, input);
        return elements.stream().allMatch(Objects::nonNull)
            ? List.copyOf(elements)
            : Collections.unmodifiableList(elements);
      }
    };
  }

  static Serializer<Set<?>> immutableSet() {
    return new Serializer<>(true, true) {
      @Override
      public void write(Kryo kryo, Output output, Set<?> set) {
        writeElements(kryo, output, set);
      }

      @Override
      public Set<?> read(Kryo kryo, Input input, Class<? extends Set<?>> type) {
        return Collections.unmodifiableSet(new LinkedHashSet<>(readElements(kryo, input)));
      }
    };
  }

  static Serializer<Map<?, ?>> immutableMap() {
    return new Serializer<>(true, true) {
      @Override
      public void write(Kryo kryo, Output output, Map<?, ?> map) {
        output.writeVarInt(map.size(), true);
        for (Map.Entry<?, ?> entry : map.entrySet()) {
          kryo.writeClassAndObject(output, entry.getKey());
          kryo.writeClassAndObject(output, entry.getValue());
        }
      }

      @Override
      public Map<?, ?> read(Kryo kryo, Input input, Class<? extends Map<?, ?>> type) {
        int size = input.readVarInt(true);
        Map<Object, Object> map = new LinkedHashMap<>(Math.max(4, size * 2));
        for (int i = 0; i < size; i++) {
          map.put(kryo.readClassAndObject(input), kryo.readClassAndObject(input));
        }
        return Collections.unmodifiableMap(map);
      }
    };
  }

  private static void writeElements(Kryo kryo, Output output, Collection<?> elements) {
    output.writeVarInt(elements.size(), true);
    for (Object element : elements) {
      kryo.writeClassAndObject(output, element);
    }
  }

  private static List<Object> readElements(Kryo kryo, Input input) {
    int size = input.readVarInt(true);
    List<Object> elements = new ArrayList<>(Math.min(size, 1024));
    for (int i = 0; i < size; i++) {
      elements.add(kryo.readClassAndObject(input));
    }
    return elements;
  }
}
