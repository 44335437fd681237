package io.lockstep.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Lockstep's operator routes on the management port.
 *
 * @param queryTimeout how long a cluster-wide query (hot merchants, shard placement) waits for
 *     each node before reporting it as unreachable
 * @param hotMerchantsDefault merchants listed by the hot-merchant route when no {@code top} is given
 * @param hotMerchantsMax largest {@code top} accepted
 */
public record OperatorSettings(Duration queryTimeout, int hotMerchantsDefault, int hotMerchantsMax) {

  public OperatorSettings {
    if (hotMerchantsDefault > hotMerchantsMax) {
      throw new IllegalArgumentException(
          "hot-merchants-default > hot-merchants-max: " + hotMerchantsDefault + " > " + hotMerchantsMax);
    }
  }

  /** Parses {@code lockstep.operator}. */
  public static OperatorSettings from(Config operator) {
    return new OperatorSettings(
        LockstepSettings.positiveDuration(operator, "query-timeout"),
        LockstepSettings.positive(operator, "hot-merchants-default"),
        LockstepSettings.positive(operator, "hot-merchants-max"));
  }
}
