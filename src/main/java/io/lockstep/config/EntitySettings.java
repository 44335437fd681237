package io.lockstep.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Behaviour of the merchant entity.
 *
 * @param snapshotEvery events between snapshots
 * @param changeWindowSize recent changes kept in memory for catch-up
 * @param passivationIdleTimeout idle time after which an entity without subscribers stops
 * @param askTimeout bound of a request/reply with an entity
 */
public record EntitySettings(
    int snapshotEvery, int changeWindowSize, Duration passivationIdleTimeout, Duration askTimeout) {

  /** Parses {@code lockstep.entity}. */
  public static EntitySettings from(Config entity) {
    return new EntitySettings(
        LockstepSettings.positive(entity, "snapshot-every"),
        LockstepSettings.positive(entity, "change-window-size"),
        LockstepSettings.positiveDuration(entity, "passivation-idle-timeout"),
        LockstepSettings.positiveDuration(entity, "ask-timeout"));
  }
}
