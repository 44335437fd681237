package io.lockstep.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.SignedJWT;
import io.lockstep.config.TokenSettings;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The verified-token cache of {@link TokenService}: a reconnect skips the signature check, but
 * never expiry, a key-set rotation or a token that differs in any byte. Signature checks are
 * counted through {@link TokenService.SignatureCheck}, below the service's boundary.
 */
class VerifiedTokenCacheTest {

  private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
  private static final Duration SKEW = Duration.ofSeconds(30);
  private static final TokenSettings SETTINGS = new TokenSettings("lockstep", "lockstep", Duration.ofDays(30),
      Duration.ofDays(1), Duration.ofHours(8), SKEW, Optional.empty(), Path.of("unused"), false);
  private static final DevicePrincipal DEVICE = new DevicePrincipal("m-1", "till-3");

  private final SigningKeys first = SigningKeys.generate();
  private final SigningKeys second = SigningKeys.generate();
  private final AtomicReference<VerificationKeys> keySet = new AtomicReference<>(first);
  private final MovableClock clock = new MovableClock(NOW);
  private final AtomicInteger signatureChecks = new AtomicInteger();

  /** Verifies with whatever {@link #keySet} holds now, as a JWK set reload would. */
  private TokenService service() {
    VerificationKeys reloading = kid -> keySet.get().verificationKey(kid);
    TokenService.SignatureCheck counting = (jwt, key) -> {
      signatureChecks.incrementAndGet();
      return TokenService.SignatureCheck.ECDSA.verify(jwt, key);
    };
    return new TokenService(null, reloading, SETTINGS, clock, 100, counting);
  }

  private static String mint(SigningKeys keys, Duration ttl) {
    return TokenService.of(keys, SETTINGS, Clock.fixed(NOW, ZoneOffset.UTC)).mint(DEVICE, ttl);
  }

  private static String reason(TokenService service, String token) {
    return assertThrows(InvalidTokenException.class, () -> service.verify(token)).getMessage();
  }

  @Test
  void aSecondVerifyOfTheSameTokenChecksNoSignature() throws Exception {
    TokenService service = service();
    String token = mint(first, Duration.ofHours(1));
    assertEquals(DEVICE, service.verify(token));
    assertEquals(DEVICE, service.verify(token));
    assertEquals(DEVICE, service.verifyToken(token).principal());
    assertEquals(1, signatureChecks.get());
    assertEquals(DEVICE, service.verify(mint(first, Duration.ofHours(1))));
    assertEquals(2, signatureChecks.get(), "another token is verified in full");
  }

  @Test
  void aCachedTokenPastItsExpiryIsRefused() throws Exception {
    TokenService service = service();
    String token = mint(first, Duration.ofMinutes(1));
    assertEquals(DEVICE, service.verify(token));
    clock.set(NOW.plus(Duration.ofMinutes(1)).plus(SKEW).minusMillis(1));
    assertEquals(DEVICE, service.verify(token), "within the skew");
    clock.set(NOW.plus(Duration.ofMinutes(1)).plus(SKEW));
    assertEquals("token expired", reason(service, token));
    assertEquals("token expired", reason(service, token));
    assertEquals(0, service.verifiedTokensCached());
  }

  @Test
  void aKeySetRotationThatRemovesTheSigningKeyInvalidatesTheCache() throws Exception {
    TokenService service = service();
    String token = mint(first, Duration.ofHours(1));
    assertEquals(DEVICE, service.verify(token));
    keySet.set(SigningKeys.of(List.of(second.signingKey().orElseThrow(), first.signingKey().orElseThrow())));
    assertEquals(DEVICE, service.verify(token), "a rotation that keeps the key keeps the token");
    assertEquals(1, signatureChecks.get());

    keySet.set(second);
    assertEquals("unknown key id", reason(service, token));
    assertEquals(0, service.verifiedTokensCached(), "nothing verified under the old key set is kept");
    keySet.set(first);
    assertEquals(DEVICE, service.verify(token));
    assertEquals(2, signatureChecks.get(), "verified in full again after the rotation");
  }

  @Test
  void aTokenWithTheSameClaimsAndAnotherSignatureIsRefused() throws Exception {
    TokenService service = service();
    String token = mint(first, Duration.ofHours(1));
    assertEquals(DEVICE, service.verify(token));
    SignedJWT forged = SignedJWT.parse(token);
    // Same header (kid of the first key) and claims, signed by a key the set does not hold.
    forged = new SignedJWT(forged.getHeader(), forged.getJWTClaimsSet());
    forged.sign(new ECDSASigner(second.signingKey().orElseThrow()));
    assertEquals("invalid signature", reason(service, forged.serialize()));
    String[] parts = token.split("\\.");
    String truncated = parts[0] + "." + parts[1] + "." + parts[2].substring(0, parts[2].length() - 4) + "AAAA";
    assertEquals("invalid signature", reason(service, truncated));
    assertEquals(DEVICE, service.verify(token), "the genuine token stays cached");
    assertEquals(3, signatureChecks.get());
  }

  /** A clock the test moves; Caffeine's own ticker stays real, so only the on-use check refuses. */
  private static final class MovableClock extends Clock {
    private volatile Instant now;

    MovableClock(Instant now) {
      this.now = now;
    }

    void set(Instant instant) {
      now = instant;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
