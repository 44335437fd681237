package io.lockstep.config;

import com.typesafe.config.Config;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Serialization of transient cluster messages.
 *
 * @param kryoClasses fully qualified class names Kryo registers, in order (see {@code
 *     serialization.conf})
 */
public record SerializationSettings(List<String> kryoClasses) {

  public SerializationSettings {
    kryoClasses = List.copyOf(kryoClasses);
    Set<String> seen = new HashSet<>();
    for (String name : kryoClasses) {
      if (!seen.add(name)) {
        throw new IllegalArgumentException(
            "lockstep.serialization.kryo-classes lists a class twice: " + name);
      }
    }
  }

  /** Parses {@code lockstep.serialization}. */
  public static SerializationSettings from(Config serialization) {
    return new SerializationSettings(serialization.getStringList("kryo-classes"));
  }
}
