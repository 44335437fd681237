package io.lockstep.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Lockstep's operator routes on the management port.
 *
 * @param queryTimeout how long a cluster-wide query (hot merchants, shard placement) waits for
 *     each node before reporting it as unreachable
 * @param hotMerchantsDefault merchants listed by the hot-merchant route when no {@code top} is given
 * @param hotMerchantsMax largest {@code top} accepted (also of the lag route)
 * @param sloFanoutThreshold a change written to a device's socket within this time of its commit
 *     counts as good for the fan-out SLO ({@code lockstep.slo.fanout-threshold})
 */
public record OperatorSettings(Duration queryTimeout, int hotMerchantsDefault, int hotMerchantsMax,
    Duration sloFanoutThreshold) {

  public OperatorSettings {
    if (hotMerchantsDefault > hotMerchantsMax) {
      throw new IllegalArgumentException(
          "hot-merchants-default > hot-merchants-max: " + hotMerchantsDefault + " > " + hotMerchantsMax);
    }
  }

  /** Parses {@code lockstep.operator} and {@code lockstep.slo}. */
  public static OperatorSettings from(Config operator, Config slo) {
    return new OperatorSettings(
        LockstepSettings.positiveDuration(operator, "query-timeout"),
        LockstepSettings.positive(operator, "hot-merchants-default"),
        LockstepSettings.positive(operator, "hot-merchants-max"),
        LockstepSettings.positiveDuration(slo, "fanout-threshold"));
  }
}
