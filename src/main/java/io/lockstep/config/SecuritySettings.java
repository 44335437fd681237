package io.lockstep.config;

import com.typesafe.config.Config;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Transport and access controls of the public HTTP server.
 *
 * @param allowedOrigins {@code Origin}s (scheme://host[:port]) a browser may open the device
 *     WebSocket from; a request without {@code Origin} (a native client) is always allowed, one
 *     with another {@code Origin} gets 403 before the upgrade
 * @param revocationFile file of revoked devices, one {@code merchantId/deviceId} a line
 *     ({@code #} comments); empty: none
 * @param revocationReload how often the revocation file is checked for changes
 * @param tls HTTPS for the public server (device WebSocket and product API), when configured
 * @param verifiedTokenCacheSize most tokens remembered as verified (by hash, until they expire) so a
 *     reconnect skips the ES256 check; 0: every token is verified in full
 */
public record SecuritySettings(
    List<String> allowedOrigins, Optional<Path> revocationFile, Duration revocationReload, Optional<Tls> tls,
    int verifiedTokenCacheSize) {

  public SecuritySettings {
    allowedOrigins = allowedOrigins.stream().map(SecuritySettings::normalizeOrigin).toList();
    if (verifiedTokenCacheSize < 0) {
      throw new IllegalArgumentException("lockstep.security.verified-token-cache-size < 0: " + verifiedTokenCacheSize);
    }
  }

  /**
   * A PKCS12 key store holding the server's key and certificate chain.
   *
   * @param keyStore path of the PKCS12 file
   * @param password its password (from the environment); never printed
   */
  public record Tls(Path keyStore, char[] password) {
    @Override
    public String toString() {
      return "Tls[keyStore=" + keyStore + ", password=***]";
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Tls t && t.keyStore.equals(keyStore) && java.util.Arrays.equals(t.password, password);
    }

    @Override
    public int hashCode() {
      return keyStore.hashCode();
    }
  }

  /** Parses {@code lockstep.security}. */
  public static SecuritySettings from(Config security) {
    String revocations = security.getString("revocation-file");
    Config tls = security.getConfig("tls");
    String keyStore = tls.getString("key-store");
    return new SecuritySettings(
        security.getStringList("allowed-origins"),
        revocations.isBlank() ? Optional.empty() : Optional.of(Path.of(revocations).toAbsolutePath()),
        LockstepSettings.positiveDuration(security, "revocation-reload"),
        keyStore.isBlank()
            ? Optional.empty()
            : Optional.of(new Tls(Path.of(keyStore).toAbsolutePath(), tls.getString("key-store-password").toCharArray())),
        security.getInt("verified-token-cache-size"));
  }

  /** Whether a WebSocket upgrade carrying {@code origin} (empty: none) may proceed. */
  public boolean originAllowed(Optional<String> origin) {
    return origin.isEmpty() || allowedOrigins.contains(normalizeOrigin(origin.get()));
  }

  static String normalizeOrigin(String origin) {
    String trimmed = origin.trim();
    try {
      URI uri = URI.create(trimmed);
      if (uri.getScheme() != null && uri.getHost() != null) {
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int port = uri.getPort();
        boolean defaultPort = port == -1 || (scheme.equals("https") && port == 443) || (scheme.equals("http") && port == 80);
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
      }
    } catch (IllegalArgumentException notAUri) {
      // compared verbatim: "null" and garbage never match a configured origin
    }
    return trimmed;
  }
}
