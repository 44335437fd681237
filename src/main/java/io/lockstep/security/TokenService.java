package io.lockstep.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import io.lockstep.config.TokenSettings;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Mints and verifies Lockstep access tokens: JWTs signed with ES256.
 *
 * <p>A token carries {@code iss}, {@code aud}, {@code iat}, {@code exp}, {@code jti}, a {@code
 * kind} ({@code device}, {@code service} or {@code operator}) and the kind's identity claims
 * ({@code merchant_id}, {@code device_id}, {@code name}); its header names the signing key by
 * {@code kid}. Verification accepts only ES256 with a known {@code kid}, the configured issuer and
 * audience, and a validity window ({@code iat}, {@code nbf}, {@code exp}) that includes now within
 * the configured clock skew. Verification keys come from a JWK set file (several keys by {@code
 * kid}: rotation) or, with {@code jwks-url}, from a remote JWK set refreshed periodically; a node
 * with only a remote key set verifies but cannot mint.
 *
 * <p>A verified token is remembered (by its hash, see {@link VerifiedTokenCache}) until it
 * expires, so a reconnect verifies no signature again; expiry and the presence of its signing key
 * in the current key set are still checked on every use, and a key set that no longer holds that
 * key drops every remembered token. Revocation is the caller's check, on every use.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class TokenService {

  /** Longer input is refused before parsing. */
  static final int MAX_TOKEN_LENGTH = 8 * 1024;

  /** The only signature algorithm accepted (and written). */
  static final JWSAlgorithm ALGORITHM = JWSAlgorithm.ES256;

  /** How a signature is checked against a key; a seam for tests that count verifications. */
  @FunctionalInterface
  interface SignatureCheck {
    SignatureCheck ECDSA = (jwt, key) -> jwt.verify(new ECDSAVerifier(key));

    boolean verify(SignedJWT jwt, ECKey key) throws JOSEException;
  }

  private final SigningKeys keys; // null: verify-only
  private final VerificationKeys verifier;
  private final TokenSettings settings;
  private final Clock clock;
  private final VerifiedTokenCache verified;
  private final SignatureCheck signatures;

  TokenService(SigningKeys keys, VerificationKeys verifier, TokenSettings settings, Clock clock,
      int verifiedTokenCacheSize, SignatureCheck signatures) {
    this.keys = keys;
    this.verifier = Objects.requireNonNull(verifier, "verifier");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.verified = VerifiedTokenCache.of(verifiedTokenCacheSize, settings.clockSkew(), clock);
    this.signatures = Objects.requireNonNull(signatures, "signatures");
  }

  /**
   * The token service for these settings: keys from {@code keyFile}, or else the development key
   * under the data directory, created on first use, when {@code devKeyAllowed}.
   *
   * @throws SigningKeyException if the key file is unusable, or no key file is configured where a
   *     development key is not allowed (PostgreSQL, i.e. production)
   */
  public static TokenService create(TokenSettings settings) throws SigningKeyException {
    return create(settings, 0);
  }

  /**
   * Like {@link #create(TokenSettings)}, remembering up to {@code verifiedTokenCacheSize} verified
   * tokens (0: none) until they expire.
   */
  public static TokenService create(TokenSettings settings, int verifiedTokenCacheSize) throws SigningKeyException {
    if (settings.jwksUrl().isPresent()) {
      SigningKeys local = settings.keyFile().isPresent() ? SigningKeys.load(settings.keyFile().get()) : null;
      RemoteKeySet remote = RemoteKeySet.of(settings.jwksUrl().get(), settings.jwksRefresh(),
          settings.jwksMinRefreshInterval(), settings.jwksFetchTimeout());
      return new TokenService(local, remote, settings, Clock.systemUTC(), verifiedTokenCacheSize, SignatureCheck.ECDSA);
    }
    SigningKeys keys = loadKeys(settings);
    return new TokenService(keys, keys, settings, Clock.systemUTC(), verifiedTokenCacheSize, SignatureCheck.ECDSA);
  }

  /** A token service over explicit keys and clock, verifying every token in full. */
  public static TokenService of(SigningKeys keys, TokenSettings settings, Clock clock) {
    return new TokenService(Objects.requireNonNull(keys, "keys"), keys, settings, clock, 0, SignatureCheck.ECDSA);
  }

  /** A token service that verifies with {@code verifier}, cannot mint and caches nothing. */
  public static TokenService verifyOnly(VerificationKeys verifier, TokenSettings settings, Clock clock) {
    return new TokenService(null, verifier, settings, clock, 0, SignatureCheck.ECDSA);
  }

  static SigningKeys loadKeys(TokenSettings settings) throws SigningKeyException {
    if (settings.keyFile().isPresent()) {
      return SigningKeys.load(settings.keyFile().get());
    }
    if (!settings.devKeyAllowed()) {
      throw new SigningKeyException(
          "no token signing key configured: set LOCKSTEP_TOKEN_KEY_FILE to a JWK set file "
              + "(create one with `java -jar lockstep.jar keygen --out FILE`); "
              + "development keys are only used with the embedded H2 database");
    }
    return SigningKeys.loadOrCreate(settings.devKeyFile());
  }

  /** A token for {@code principal}, valid for its kind's configured lifetime. */
  public String mint(Principal principal) {
    return mint(principal, defaultTtl(principal));
  }

  /**
   * A token for {@code principal}, valid for {@code ttl} from now.
   *
   * @throws IllegalStateException if the key set holds no private key
   */
  public String mint(Principal principal, Duration ttl) {
    Objects.requireNonNull(principal, "principal");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive: " + ttl);
    }
    ECKey key =
        Optional.ofNullable(keys).flatMap(SigningKeys::signingKey)
            .orElseThrow(() -> new IllegalStateException("token key set has no private key"));
    Instant now = clock.instant();
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .issuer(settings.issuer())
            .audience(settings.audience())
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ttl)))
            .jwtID(UUID.randomUUID().toString())
            .claim(TokenClaims.KIND, principal.kind());
    if (principal instanceof DevicePrincipal d) {
      claims.claim(TokenClaims.MERCHANT_ID, d.merchantId()).claim(TokenClaims.DEVICE_ID, d.deviceId());
    } else if (principal instanceof ServicePrincipal s) {
      claims.claim(TokenClaims.NAME, s.name());
      s.merchantId().ifPresent(m -> claims.claim(TokenClaims.MERCHANT_ID, m));
    } else if (principal instanceof OperatorPrincipal o) {
      claims.claim(TokenClaims.NAME, o.name());
    }
    JWSHeader header =
        new JWSHeader.Builder(ALGORITHM).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build();
    SignedJWT jwt = new SignedJWT(header, claims.build());
    try {
      jwt.sign(new ECDSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("signing failed with key " + key.getKeyID(), e);
    }
    return jwt.serialize();
  }

  /**
   * The principal a valid token speaks for.
   *
   * @throws InvalidTokenException with a safe reason when the token is malformed, not ES256,
   *     signed by an unknown key, tampered with, for another issuer or audience, expired, not yet
   *     valid, or lacks the claims of its kind
   */
  public Principal verify(String token) throws InvalidTokenException {
    return verifyToken(token).principal();
  }

  /**
   * Like {@link #verify}, with the instant the token expires, for sessions that outlive a request.
   */
  public VerifiedToken verifyToken(String token) throws InvalidTokenException {
    requirePlausible(token);
    if (!verified.enabled()) {
      return verifySignature(token).token();
    }
    String digest = VerifiedTokenCache.digest(token);
    VerifiedTokenCache.Entry hit = verified.get(digest);
    if (hit != null) {
      try {
        checkExpiry(hit.token().expiresAt());
      } catch (InvalidTokenException expired) {
        verified.remove(digest);
        throw expired;
      }
      if (stillInKeySet(hit.key())) {
        return hit.token();
      }
      verified.clear();
    }
    VerifiedTokenCache.Entry fresh = verifySignature(token);
    verified.put(digest, fresh);
    return fresh.token();
  }

  /** Whether the key set still holds {@code key} under its kid (false after a rotation removed it). */
  private boolean stillInKeySet(ECKey key) throws InvalidTokenException {
    return verifier.verificationKey(key.getKeyID()).filter(key::equals).isPresent();
  }

  /** Tokens remembered as verified; for tests. */
  long verifiedTokensCached() {
    return verified.size();
  }

  private VerifiedTokenCache.Entry verifySignature(String token) throws InvalidTokenException {
    SignedJWT jwt = parse(token);
    JWSHeader header = jwt.getHeader();
    if (!ALGORITHM.equals(header.getAlgorithm())) {
      throw new InvalidTokenException("algorithm not allowed");
    }
    String kid = header.getKeyID();
    if (kid == null) {
      throw new InvalidTokenException("missing key id");
    }
    ECKey key = verifier.verificationKey(kid).orElseThrow(() -> new InvalidTokenException("unknown key id"));
    try {
      if (!signatures.verify(jwt, key)) {
        throw new InvalidTokenException("invalid signature");
      }
    } catch (JOSEException e) {
      throw new InvalidTokenException("invalid signature");
    }
    JWTClaimsSet claims;
    try {
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new InvalidTokenException("malformed claims");
    }
    checkValidity(claims);
    return new VerifiedTokenCache.Entry(new VerifiedToken(principal(claims), claims.getExpirationTime().toInstant()), key);
  }

  private static void requirePlausible(String token) throws InvalidTokenException {
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
      throw new InvalidTokenException("malformed token");
    }
  }

  private static SignedJWT parse(String token) throws InvalidTokenException {
    try {
      if (JWTParser.parse(token) instanceof SignedJWT signed) {
        return signed;
      }
      throw new InvalidTokenException("algorithm not allowed");
    } catch (ParseException e) {
      throw new InvalidTokenException("malformed token");
    }
  }

  private void checkValidity(JWTClaimsSet claims) throws InvalidTokenException {
    if (!settings.issuer().equals(claims.getIssuer())) {
      throw new InvalidTokenException("wrong issuer");
    }
    List<String> audience = claims.getAudience();
    if (audience == null || !audience.contains(settings.audience())) {
      throw new InvalidTokenException("wrong audience");
    }
    Instant now = clock.instant();
    Duration skew = settings.clockSkew();
    Date exp = claims.getExpirationTime();
    if (exp == null) {
      throw new InvalidTokenException("missing expiry");
    }
    checkExpiry(exp.toInstant());
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && now.isBefore(nbf.toInstant().minus(skew))) {
      throw new InvalidTokenException("token not yet valid");
    }
    Date iat = claims.getIssueTime();
    if (iat == null) {
      throw new InvalidTokenException("missing issue time");
    }
    if (now.isBefore(iat.toInstant().minus(skew))) {
      throw new InvalidTokenException("token issued in the future");
    }
  }

  private void checkExpiry(Instant exp) throws InvalidTokenException {
    if (!clock.instant().isBefore(exp.plus(settings.clockSkew()))) {
      throw new InvalidTokenException("token expired");
    }
  }

  private static Principal principal(JWTClaimsSet claims) throws InvalidTokenException {
    String kind = string(claims, TokenClaims.KIND).orElseThrow(() -> new InvalidTokenException("missing kind"));
    try {
      return switch (kind) {
        case TokenClaims.KIND_DEVICE ->
            new DevicePrincipal(
                required(claims, TokenClaims.MERCHANT_ID), required(claims, TokenClaims.DEVICE_ID));
        case TokenClaims.KIND_SERVICE ->
            new ServicePrincipal(
                required(claims, TokenClaims.NAME), string(claims, TokenClaims.MERCHANT_ID));
        case TokenClaims.KIND_OPERATOR -> new OperatorPrincipal(required(claims, TokenClaims.NAME));
        default -> throw new InvalidTokenException("unknown kind");
      };
    } catch (IllegalArgumentException e) {
      throw new InvalidTokenException("invalid " + kind + " claims");
    }
  }

  private static String required(JWTClaimsSet claims, String name) throws InvalidTokenException {
    return string(claims, name).orElseThrow(() -> new InvalidTokenException("missing " + name));
  }

  private static Optional<String> string(JWTClaimsSet claims, String name) throws InvalidTokenException {
    try {
      return Optional.ofNullable(claims.getStringClaim(name));
    } catch (ParseException e) {
      throw new InvalidTokenException("malformed " + name);
    }
  }

  /** The tolerated clock difference, also granted after a live session's token expires. */
  public Duration clockSkew() {
    return settings.clockSkew();
  }

  private Duration defaultTtl(Principal principal) {
    return switch (principal.kind()) {
      case TokenClaims.KIND_DEVICE -> settings.deviceTtl();
      case TokenClaims.KIND_SERVICE -> settings.serviceTtl();
      default -> settings.operatorTtl();
    };
  }
}
