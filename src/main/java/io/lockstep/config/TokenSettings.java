package io.lockstep.config;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How access tokens are minted and checked.
 *
 * @param issuer {@code iss} written and required
 * @param audience {@code aud} written and required
 * @param deviceTtl default lifetime of a device token
 * @param serviceTtl default lifetime of a service token
 * @param operatorTtl default lifetime of an operator token
 * @param clockSkew tolerance when checking {@code exp}, {@code nbf} and {@code iat}
 * @param keyFile JWK set file; empty means the development key
 * @param devKeyFile where the development key is kept when {@code keyFile} is empty
 * @param devKeyAllowed whether a development key may be used: only with the embedded database
 */
public record TokenSettings(
    String issuer,
    String audience,
    Duration deviceTtl,
    Duration serviceTtl,
    Duration operatorTtl,
    Duration clockSkew,
    Optional<Path> keyFile,
    Path devKeyFile,
    boolean devKeyAllowed) {

  /** File name of the development key inside the data directory. */
  public static final String DEV_KEY_FILE_NAME = "dev-signing-key.jwks";

  /** Parses {@code lockstep.tokens}; the development key is allowed only with H2. */
  public static TokenSettings from(Config tokens, Path dataDir, DatabaseSettings.Kind database) {
    String keyFile = tokens.getString("key-file");
    Duration skew = tokens.getDuration("clock-skew");
    if (skew.isNegative()) {
      throw new IllegalArgumentException("lockstep.tokens.clock-skew is negative: " + skew);
    }
    return new TokenSettings(
        nonBlank(tokens, "issuer"),
        nonBlank(tokens, "audience"),
        LockstepSettings.positiveDuration(tokens, "device-ttl"),
        LockstepSettings.positiveDuration(tokens, "service-ttl"),
        LockstepSettings.positiveDuration(tokens, "operator-ttl"),
        skew,
        keyFile.isBlank() ? Optional.empty() : Optional.of(Path.of(keyFile).toAbsolutePath()),
        dataDir.resolve(DEV_KEY_FILE_NAME),
        database == DatabaseSettings.Kind.H2);
  }

  private static String nonBlank(Config config, String path) {
    String value = config.getString(path);
    if (value.isBlank()) {
      throw new IllegalArgumentException("lockstep.tokens." + path + " is blank");
    }
    return value;
  }
}
