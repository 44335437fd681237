package io.lockstep.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Behaviour of the merchant entity.
 *
 * @param snapshotEvery events between snapshots
 * @param changeWindowSize recent changes kept in memory for catch-up
 * @param changeWindowBytes most bytes of encoded changes that window holds per merchant
 * @param changesPerFrame most changes in one catch-up {@code Changes} frame
 * @param recordsPerSnapshotChunk most items and orders in one {@code Snapshot} chunk
 * @param passivationIdleTimeout idle time after which an entity without subscribers stops
 * @param askTimeout bound of a request/reply with an entity
 * @param restartMinBackoff first delay before an entity restarts after a failed journal write
 * @param restartMaxBackoff longest such delay
 * @param journalCatchUpLimit a device further behind than this many changes gets a snapshot
 *     instead of a journal replay
 * @param idempotencyKeys answered {@code Idempotency-Key}s each merchant remembers (in memory)
 * @param maxBufferedMutations mutations a merchant holds for its next write; a push beyond is
 *     refused with {@code busy}
 * @param busyRetryAfter the delay a refused writer is told to wait before it retries
 * @param maxWriteAttempts how often a batch whose journal write failed is written again (after
 *     the entity restarted) before its writers are told {@code unavailable}
 * @param syncRecentWindow a device that is not connected still counts for the sync barrier this
 *     long after it was last seen ({@code lockstep.sync.recent-window})
 */
public record EntitySettings(
    int snapshotEvery,
    int changeWindowSize,
    int changeWindowBytes,
    int changesPerFrame,
    int recordsPerSnapshotChunk,
    Duration passivationIdleTimeout,
    Duration askTimeout,
    Duration restartMinBackoff,
    Duration restartMaxBackoff,
    int journalCatchUpLimit,
    int idempotencyKeys,
    int maxBufferedMutations,
    Duration busyRetryAfter,
    int maxWriteAttempts,
    Duration syncRecentWindow) {

  public EntitySettings {
    if (restartMaxBackoff.compareTo(restartMinBackoff) < 0) {
      throw new IllegalArgumentException(
          "restart-max-backoff < restart-min-backoff: " + restartMaxBackoff + " < " + restartMinBackoff);
    }
  }

  /** Parses {@code lockstep.entity} and {@code lockstep.sync}. */
  public static EntitySettings from(Config entity, Config sync) {
    return new EntitySettings(
        LockstepSettings.positive(entity, "snapshot-every"),
        LockstepSettings.positive(entity, "change-window-size"),
        LockstepSettings.positiveBytes(entity, "change-window-bytes"),
        LockstepSettings.positive(entity, "changes-per-frame"),
        LockstepSettings.positive(entity, "records-per-snapshot-chunk"),
        LockstepSettings.positiveDuration(entity, "passivation-idle-timeout"),
        LockstepSettings.positiveDuration(entity, "ask-timeout"),
        LockstepSettings.positiveDuration(entity, "restart-min-backoff"),
        LockstepSettings.positiveDuration(entity, "restart-max-backoff"),
        LockstepSettings.positive(entity, "journal-catch-up-limit"),
        LockstepSettings.positive(entity, "idempotency-keys"),
        LockstepSettings.positive(entity, "max-buffered-mutations"),
        LockstepSettings.positiveDuration(entity, "busy-retry-after"),
        LockstepSettings.positive(entity, "max-write-attempts"),
        LockstepSettings.positiveDuration(sync, "recent-window"));
  }
}
