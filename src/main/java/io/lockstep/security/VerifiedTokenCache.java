package io.lockstep.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.nimbusds.jose.jwk.ECKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;

/**
 * Tokens whose ES256 signature has been verified, so a reconnecting device does not pay for ECDSA
 * again. Keyed by the SHA-256 of the whole token string: the cache never holds a token in clear,
 * and a token that differs in any byte (another signature over the same claims) is a miss.
 *
 * <p>An entry is evicted once its token has expired (plus the clock skew), or when the cache is
 * full. It is a hint, not a grant: {@link TokenService} still checks expiry and that the signing
 * key is still in the key set on every use. Revocation is never cached here.
 */
final class VerifiedTokenCache {

  /** A verified token and the public key its signature was checked with. */
  record Entry(VerifiedToken token, ECKey key) {
    Entry {
      Objects.requireNonNull(token, "token");
      Objects.requireNonNull(key, "key");
    }
  }

  private final Cache<String, Entry> entries; // null: caching disabled

  private VerifiedTokenCache(Cache<String, Entry> entries) {
    this.entries = entries;
  }

  /** A cache of at most {@code maxEntries} tokens; 0 disables caching. */
  static VerifiedTokenCache of(int maxEntries, Duration clockSkew, Clock clock) {
    if (maxEntries < 0) {
      throw new IllegalArgumentException("maxEntries < 0: " + maxEntries);
    }
    if (maxEntries == 0) {
      return disabled();
    }
    Expiry<String, Entry> untilExpired = Expiry.writing(
        (digest, entry) -> positive(Duration.between(clock.instant(), entry.token().expiresAt().plus(clockSkew))));
    return new VerifiedTokenCache(Caffeine.newBuilder().maximumSize(maxEntries).expireAfter(untilExpired).build());
  }

  /** A cache that holds nothing: every token is verified in full. */
  static VerifiedTokenCache disabled() {
    return new VerifiedTokenCache(null);
  }

  boolean enabled() {
    return entries != null;
  }

  /** The cache key of {@code token}: its SHA-256, base64url. */
  static String digest(String token) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable in this JVM", e);
    }
  }

  /** The entry under {@code digest}, or null. */
  Entry get(String digest) {
    return entries == null ? null : entries.getIfPresent(digest);
  }

  void put(String digest, Entry entry) {
    if (entries != null) {
      entries.put(digest, entry);
    }
  }

  void remove(String digest) {
    if (entries != null) {
      entries.invalidate(digest);
    }
  }

  /** Forgets every entry: the key set changed, so nothing verified under the old one is trusted. */
  void clear() {
    if (entries != null) {
      entries.invalidateAll();
    }
  }

  long size() {
    if (entries == null) {
      return 0;
    }
    entries.cleanUp();
    return entries.estimatedSize();
  }

  private static Duration positive(Duration d) {
    return d.isNegative() ? Duration.ZERO : d;
  }
}
