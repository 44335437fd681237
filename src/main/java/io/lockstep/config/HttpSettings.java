package io.lockstep.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Where the public HTTP server (device WebSocket and product API) binds.
 *
 * @param host interface to bind, {@code 0.0.0.0} for all
 * @param port TCP port; 0 picks a free port (tests)
 * @param bindTimeout start-up fails if binding takes longer
 * @param shutdownDeadline time in-flight requests get to finish on shutdown
 */
public record HttpSettings(String host, int port, Duration bindTimeout, Duration shutdownDeadline) {

  /** Parses {@code lockstep.http}. */
  public static HttpSettings from(Config http) {
    return new HttpSettings(
        http.getString("host"),
        LockstepSettings.port(http, "port"),
        LockstepSettings.positiveDuration(http, "bind-timeout"),
        LockstepSettings.positiveDuration(http, "shutdown-deadline"));
  }
}
