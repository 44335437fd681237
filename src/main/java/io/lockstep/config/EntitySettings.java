package io.lockstep.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Behaviour of the merchant entity.
 *
 * @param snapshotEvery events between snapshots
 * @param changeWindowSize recent changes kept in memory for catch-up
 * @param changesPerFrame most changes in one catch-up {@code Changes} frame
 * @param recordsPerSnapshotChunk most items and orders in one {@code Snapshot} chunk
 * @param passivationIdleTimeout idle time after which an entity without subscribers stops
 * @param askTimeout bound of a request/reply with an entity
 * @param restartMinBackoff first delay before an entity restarts after a failed journal write
 * @param restartMaxBackoff longest such delay
 */
public record EntitySettings(
    int snapshotEvery,
    int changeWindowSize,
    int changesPerFrame,
    int recordsPerSnapshotChunk,
    Duration passivationIdleTimeout,
    Duration askTimeout,
    Duration restartMinBackoff,
    Duration restartMaxBackoff) {

  public EntitySettings {
    if (restartMaxBackoff.compareTo(restartMinBackoff) < 0) {
      throw new IllegalArgumentException(
          "restart-max-backoff < restart-min-backoff: " + restartMaxBackoff + " < " + restartMinBackoff);
    }
  }

  /** Parses {@code lockstep.entity}. */
  public static EntitySettings from(Config entity) {
    return new EntitySettings(
        LockstepSettings.positive(entity, "snapshot-every"),
        LockstepSettings.positive(entity, "change-window-size"),
        LockstepSettings.positive(entity, "changes-per-frame"),
        LockstepSettings.positive(entity, "records-per-snapshot-chunk"),
        LockstepSettings.positiveDuration(entity, "passivation-idle-timeout"),
        LockstepSettings.positiveDuration(entity, "ask-timeout"),
        LockstepSettings.positiveDuration(entity, "restart-min-backoff"),
        LockstepSettings.positiveDuration(entity, "restart-max-backoff"));
  }
}
