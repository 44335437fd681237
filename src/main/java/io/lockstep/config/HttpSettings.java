package io.lockstep.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Where the public servers bind: the product API and, on a port of its own, the device WebSocket endpoint.
 *
 * @param host interface to bind, {@code 0.0.0.0} for all
 * @param port TCP port of the product API; 0 picks a free port (tests)
 * @param devicePort TCP port of the device WebSocket endpoint; 0 picks a free port
 * @param deviceIoThreads Netty event-loop threads of the device port; 0: one per two cores, at least one
 * @param deviceKeepAlive a WebSocket ping goes to a device connection that wrote nothing for this long
 * @param bindTimeout start-up fails if binding takes longer
 * @param shutdownDeadline time in-flight requests get to finish on shutdown
 */
public record HttpSettings(
    String host,
    int port,
    int devicePort,
    int deviceIoThreads,
    Duration deviceKeepAlive,
    Duration bindTimeout,
    Duration shutdownDeadline) {

  public HttpSettings {
    if (deviceIoThreads < 0) throw new IllegalArgumentException("device-io-threads < 0: " + deviceIoThreads);
  }

  /** Parses {@code lockstep.http}. */
  public static HttpSettings from(Config http) {
    return new HttpSettings(
        http.getString("host"),
        LockstepSettings.port(http, "port"),
        LockstepSettings.port(http, "device-port"),
        http.getInt("device-io-threads"),
        LockstepSettings.positiveDuration(http, "device-keep-alive"),
        LockstepSettings.positiveDuration(http, "bind-timeout"),
        LockstepSettings.positiveDuration(http, "shutdown-deadline"));
  }
}
