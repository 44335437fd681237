package io.lockstep.config;

import com.typesafe.config.Config;

/**
 * Where the public HTTP server (device WebSocket and product API) binds.
 *
 * @param host interface to bind, {@code 0.0.0.0} for all
 * @param port TCP port; 0 picks a free port (tests)
 */
public record HttpSettings(String host, int port) {

  /** Parses {@code lockstep.http}. */
  public static HttpSettings from(Config http) {
    return new HttpSettings(http.getString("host"), LockstepSettings.port(http, "port"));
  }
}
