package io.lockstep.config;

import com.typesafe.config.Config;

/**
 * Bounds on what one client may send. Every bound is checked at the edge (device session,
 * product API) before anything reaches a merchant entity.
 *
 * @param maxFrameBytes largest accepted WebSocket message or request body
 * @param maxMutationsPerPush largest number of mutations in one push
 * @param maxStringLength longest accepted string field of a mutation (ids, names, SKUs); at most
 *     {@link #DOMAIN_MAX_STRING_LENGTH}, the domain's own ceiling
 * @param maxVersionVectorEntries most entries in a mutation's base version vector
 * @param maxPushesPerSecond sustained pushes per second per device session (token bucket; the
 *     burst is one second's worth)
 * @param maxSessionsPerDevice concurrent sessions of one device on one node; a new session beyond
 *     it closes the oldest with {@code replaced}
 */
public record LimitSettings(
    int maxFrameBytes,
    int maxMutationsPerPush,
    int maxStringLength,
    int maxVersionVectorEntries,
    int maxPushesPerSecond,
    int maxSessionsPerDevice) {

  /** The domain refuses longer strings whatever the configuration says (defence in depth). */
  public static final int DOMAIN_MAX_STRING_LENGTH = io.lockstep.domain.Op.MAX_TEXT_LENGTH;

  public LimitSettings {
    if (maxStringLength > DOMAIN_MAX_STRING_LENGTH) {
      throw new IllegalArgumentException("lockstep.limits.max-string-length above the domain's "
          + DOMAIN_MAX_STRING_LENGTH + ": " + maxStringLength);
    }
  }

  /** Parses {@code lockstep.limits}. */
  public static LimitSettings from(Config limits) {
    return new LimitSettings(
        LockstepSettings.positive(limits, "max-frame-bytes"),
        LockstepSettings.positive(limits, "max-mutations-per-push"),
        LockstepSettings.positive(limits, "max-string-length"),
        LockstepSettings.positive(limits, "max-version-vector-entries"),
        LockstepSettings.positive(limits, "max-pushes-per-second"),
        LockstepSettings.positive(limits, "max-sessions-per-device"));
  }
}
