package io.lockstep.config;

import com.typesafe.config.Config;

/**
 * Where Pekko Management (cluster, health checks) and the operator routes listen.
 *
 * @param host address to bind and to advertise to bootstrap contact points
 * @param port TCP port
 */
public record ManagementSettings(String host, int port) {

  /** Parses {@code lockstep.management}. */
  public static ManagementSettings from(Config management) {
    return new ManagementSettings(
        management.getString("host"), LockstepSettings.port(management, "port"));
  }
}
