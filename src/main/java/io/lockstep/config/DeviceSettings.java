package io.lockstep.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Behaviour of a device WebSocket session.
 *
 * @param helloTimeout a connection that sends no {@code Hello} within this time is closed
 * @param requestTimeout how long the session waits for its merchant to subscribe it or to
 *     acknowledge a push before it closes with {@code unavailable}
 * @param heartbeat interval of the session's re-subscription, which keeps the merchant from
 *     passivating and re-attaches the session after the merchant restarted or moved
 * @param outgoingBufferFrames frames buffered towards a slow device before it is closed with
 *     {@code resync}
 * @param maxPushesInFlight unacknowledged pushes a device may have; one more closes it
 * @param idleTimeout a device that sends nothing (not even {@code Ping}) for this long is closed
 * @param coalesceBytes consecutive {@code Changes} frames that wait for the same socket are sent
 *     as one WebSocket message of at most this many bytes (a single larger frame goes alone)
 */
public record DeviceSettings(
    Duration helloTimeout,
    Duration requestTimeout,
    Duration heartbeat,
    int outgoingBufferFrames,
    int maxPushesInFlight,
    Duration idleTimeout,
    int coalesceBytes) {

  public DeviceSettings {
    if (outgoingBufferFrames < 2) {
      throw new IllegalArgumentException("outgoing-buffer-frames < 2: " + outgoingBufferFrames);
    }
  }

  /** Parses {@code lockstep.device}. */
  public static DeviceSettings from(Config device) {
    return new DeviceSettings(
        LockstepSettings.positiveDuration(device, "hello-timeout"),
        LockstepSettings.positiveDuration(device, "request-timeout"),
        LockstepSettings.positiveDuration(device, "heartbeat"),
        device.getInt("outgoing-buffer-frames"),
        LockstepSettings.positive(device, "max-pushes-in-flight"),
        LockstepSettings.positiveDuration(device, "idle-timeout"),
        LockstepSettings.positive(device, "coalesce-bytes"));
  }
}
