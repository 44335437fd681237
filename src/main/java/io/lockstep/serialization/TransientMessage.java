package io.lockstep.serialization;

/**
 * Marker for messages that cross cluster nodes but are never stored: serialized with Kryo,
 * classes registered explicitly in {@code lockstep.serialization.kryo-classes}.
 */
public interface TransientMessage {}
