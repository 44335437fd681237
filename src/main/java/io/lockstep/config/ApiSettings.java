package io.lockstep.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The product-service HTTP API.
 *
 * @param changesDefaultLimit changes in one feed page when the caller names no {@code limit}
 * @param changesMaxLimit largest {@code limit} a caller may ask for
 * @param changesMaxWait longest long-poll {@code wait} a caller may ask for
 * @param bodyReadTimeout longest time to receive a request body
 * @param syncMaxWait longest sync-barrier long-poll {@code wait} a caller may ask for
 *     ({@code lockstep.sync.max-wait})
 */
public record ApiSettings(
    int changesDefaultLimit, int changesMaxLimit, Duration changesMaxWait, Duration bodyReadTimeout,
    Duration syncMaxWait) {

  public ApiSettings {
    if (changesDefaultLimit > changesMaxLimit) {
      throw new IllegalArgumentException(
          "changes-default-limit > changes-max-limit: " + changesDefaultLimit + " > " + changesMaxLimit);
    }
  }

  /** Parses {@code lockstep.api} and {@code lockstep.sync}. */
  public static ApiSettings from(Config api, Config sync) {
    return new ApiSettings(
        LockstepSettings.positive(api, "changes-default-limit"),
        LockstepSettings.positive(api, "changes-max-limit"),
        LockstepSettings.positiveDuration(api, "changes-max-wait"),
        LockstepSettings.positiveDuration(api, "body-read-timeout"),
        LockstepSettings.positiveDuration(sync, "max-wait"));
  }
}
