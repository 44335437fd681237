package io.lockstep.config;

import com.typesafe.config.Config;
import java.net.URI;
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
 * @param jwksUrl remote JWK set that verifies tokens instead of {@code keyFile} (which then only signs)
 * @param jwksRefresh how long a fetched remote JWK set is cached
 * @param jwksMinRefreshInterval least time between two fetches (an unknown {@code kid} re-fetches)
 * @param jwksFetchTimeout connect and read timeout of a fetch
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
    boolean devKeyAllowed,
    Optional<URI> jwksUrl,
    Duration jwksRefresh,
    Duration jwksMinRefreshInterval,
    Duration jwksFetchTimeout) {

  /** Settings with keys from a file (or the development key) only. */
  public TokenSettings(
      String issuer,
      String audience,
      Duration deviceTtl,
      Duration serviceTtl,
      Duration operatorTtl,
      Duration clockSkew,
      Optional<Path> keyFile,
      Path devKeyFile,
      boolean devKeyAllowed) {
    this(issuer, audience, deviceTtl, serviceTtl, operatorTtl, clockSkew, keyFile, devKeyFile, devKeyAllowed,
        Optional.empty(), Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofSeconds(5));
  }

  /** File name of the development key inside the data directory. */
  public static final String DEV_KEY_FILE_NAME = "dev-signing-key.jwks";

  /** Parses {@code lockstep.tokens}; the development key is allowed only with H2. */
  public static TokenSettings from(Config tokens, Path dataDir, DatabaseSettings.Kind database) {
    String keyFile = tokens.getString("key-file");
    String jwksUrl = tokens.getString("jwks-url");
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
        database == DatabaseSettings.Kind.H2,
        jwksUrl.isBlank() ? Optional.empty() : Optional.of(URI.create(jwksUrl)),
        LockstepSettings.positiveDuration(tokens, "jwks-refresh"),
        LockstepSettings.positiveDuration(tokens, "jwks-min-refresh-interval"),
        LockstepSettings.positiveDuration(tokens, "jwks-fetch-timeout"));
  }

  private static String nonBlank(Config config, String path) {
    String value = config.getString(path);
    if (value.isBlank()) {
      throw new IllegalArgumentException("lockstep.tokens." + path + " is blank");
    }
    return value;
  }
}
