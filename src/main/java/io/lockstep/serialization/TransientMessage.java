package io.lockstep.serialization;

/**
 * Marks a message that crosses node boundaries but is never stored: commands, replies,
 * subscriptions. Bound to {@link KryoSerializer} in {@code serialization.conf}; every
 * implementing class must be listed in {@code lockstep.serialization.kryo-classes}.
 */
public interface TransientMessage {}
