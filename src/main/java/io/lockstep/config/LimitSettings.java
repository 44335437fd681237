package io.lockstep.config;

import com.typesafe.config.Config;

/**
 * Bounds on what one client may send.
 *
 * @param maxFrameBytes largest accepted WebSocket frame or request body
 * @param maxMutationsPerPush largest number of mutations in one push
 * @param maxStringLength longest accepted string field (names, ids, SKUs)
 * @param maxPushesPerSecond sustained pushes per second per device session
 */
public record LimitSettings(
    int maxFrameBytes, int maxMutationsPerPush, int maxStringLength, int maxPushesPerSecond) {

  /** Parses {@code lockstep.limits}. */
  public static LimitSettings from(Config limits) {
    return new LimitSettings(
        LockstepSettings.positive(limits, "max-frame-bytes"),
        LockstepSettings.positive(limits, "max-mutations-per-push"),
        LockstepSettings.positive(limits, "max-string-length"),
        LockstepSettings.positive(limits, "max-pushes-per-second"));
  }
}
