package io.lockstep.security;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import java.net.InetAddress;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Verification keys served as a JWK set at a URL (an identity provider's {@code jwks_uri}).
 *
 * <p>The set is cached for {@code refresh}; a token naming a {@code kid} the cache lacks triggers a
 * re-fetch, at most once per {@code minRefreshInterval}, so a rotation at the provider is picked
 * up without a restart and random {@code kid}s cannot turn the node into a request amplifier.
 * Only {@code https} is accepted, except {@code http} to a loopback address (sidecars, tests).
 */
public final class RemoteKeySet implements VerificationKeys {
  /** Largest JWK set document accepted. */
  static final int MAX_DOCUMENT_BYTES = 64 * 1024;

  private final URI uri;
  private final JWKSource<SecurityContext> source;

  private RemoteKeySet(URI uri, JWKSource<SecurityContext> source) {
    this.uri = uri;
    this.source = source;
  }

  /**
   * A key set read from {@code uri}.
   *
   * @throws SigningKeyException if the URI is not https (or http to loopback)
   */
  public static RemoteKeySet of(URI uri, Duration refresh, Duration minRefreshInterval, Duration fetchTimeout)
      throws SigningKeyException {
    requireSafeScheme(uri);
    int timeout = (int) fetchTimeout.toMillis();
    URL url;
    try {
      url = uri.toURL();
    } catch (java.net.MalformedURLException | IllegalArgumentException e) {
      throw new SigningKeyException("token JWK set URL is malformed: " + uri, e);
    }
    JWKSource<SecurityContext> source =
        JWKSourceBuilder.<SecurityContext>create(url, new DefaultResourceRetriever(timeout, timeout, MAX_DOCUMENT_BYTES))
            .cache(refresh.toMillis(), fetchTimeout.toMillis())
            .refreshAheadCache(false)
            .rateLimited(minRefreshInterval.toMillis())
            .retrying(false)
            .build();
    return new RemoteKeySet(uri, source);
  }

  private static void requireSafeScheme(URI uri) throws SigningKeyException {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (scheme.equals("https")) return;
    if (scheme.equals("http") && isLoopback(uri.getHost())) return;
    throw new SigningKeyException("token JWK set URL must be https (http only to loopback): " + uri);
  }

  private static boolean isLoopback(String host) {
    if (host == null) return false;
    if (host.equals("localhost")) return true;
    try {
      // Literal addresses only: no DNS lookup for a name that could resolve anywhere.
      if (!host.matches("[0-9.]+|\\[?[0-9a-fA-F:]+\\]?")) return false;
      return InetAddress.getByName(host.replace("[", "").replace("]", "")).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  @Override
  public Optional<ECKey> verificationKey(String kid) throws InvalidTokenException {
    JWKMatcher matcher = new JWKMatcher.Builder().keyID(kid).keyType(KeyType.EC).curve(Curve.P_256).build();
    List<JWK> found;
    try {
      found = source.get(new JWKSelector(matcher), null);
    } catch (KeySourceException e) {
      throw new InvalidTokenException("key set unavailable");
    }
    // A public key is returned as cached (one object per fetched set), a private one stripped.
    return found.stream().filter(ECKey.class::isInstance).map(ECKey.class::cast)
        .map(k -> k.isPrivate() ? k.toPublicJWK() : k).findFirst();
  }

  @Override
  public String toString() {
    return "RemoteKeySet[" + uri + "]";
  }
}
