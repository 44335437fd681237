package io.lockstep.serialization;

/**
 * Marker for what the journal stores: serialized as protobuf by {@code io.lockstep.merchant.StoredEventSerializer}
 * under a stable manifest, so a class rename never breaks replay.
 */
public interface StoredEvent {}
