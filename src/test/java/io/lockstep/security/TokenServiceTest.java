package io.lockstep.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.lockstep.config.DatabaseSettings;
import io.lockstep.config.TokenSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenServiceTest {

  private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");

  @TempDir Path dir;

  private final SigningKeys keys = SigningKeys.generate();

  private TokenSettings settings() {
    return settings(Optional.empty(), true);
  }

  private TokenSettings settings(Optional<Path> keyFile, boolean devKeyAllowed) {
    return new TokenSettings(
        "lockstep", "lockstep", Duration.ofDays(30), Duration.ofDays(1), Duration.ofHours(8),
        Duration.ofSeconds(30), keyFile, dir.resolve(TokenSettings.DEV_KEY_FILE_NAME), devKeyAllowed);
  }

  private TokenService at(Instant instant) {
    return at(keys, instant);
  }

  private TokenService at(SigningKeys keys, Instant instant) {
    return TokenService.of(keys, settings(), Clock.fixed(instant, ZoneOffset.UTC));
  }

  private static String reason(TokenService service, String token) {
    return assertThrows(InvalidTokenException.class, () -> service.verify(token)).getMessage();
  }

  @Test
  void roundTripsEveryKind() throws Exception {
    TokenService service = at(NOW);
    List<Principal> principals =
        List.of(
            new DevicePrincipal("m-1", "till-3"),
            new ServicePrincipal("catalog", Optional.of("m-1")),
            new ServicePrincipal("reporting", Optional.empty()),
            new OperatorPrincipal("alice"));
    for (Principal principal : principals) {
      assertEquals(principal, service.verify(service.mint(principal)));
    }
  }

  @Test
  void tokenCarriesStandardClaimsAndKid() throws Exception {
    String token = at(NOW).mint(new DevicePrincipal("m-1", "till-3"));
    SignedJWT jwt = SignedJWT.parse(token);
    assertEquals(JWSAlgorithm.ES256, jwt.getHeader().getAlgorithm());
    assertEquals(keys.keyIds().get(0), jwt.getHeader().getKeyID());
    JWTClaimsSet claims = jwt.getJWTClaimsSet();
    assertEquals("lockstep", claims.getIssuer());
    assertEquals(List.of("lockstep"), claims.getAudience());
    assertEquals(NOW, claims.getIssueTime().toInstant());
    assertEquals(NOW.plus(Duration.ofDays(30)), claims.getExpirationTime().toInstant());
    assertEquals("device", claims.getStringClaim("kind"));
    assertEquals("m-1", claims.getStringClaim("merchant_id"));
    assertEquals("till-3", claims.getStringClaim("device_id"));
  }

  @Test
  void servicePrincipalScope() {
    assertTrue(new ServicePrincipal("s", Optional.empty()).covers("any"));
    assertTrue(new ServicePrincipal("s", Optional.of("m-1")).covers("m-1"));
    assertFalse(new ServicePrincipal("s", Optional.of("m-1")).covers("m-2"));
  }

  @Test
  void expiredTokenIsRefusedAfterTheClockSkew() throws Exception {
    String token = at(NOW).mint(new OperatorPrincipal("alice"), Duration.ofMinutes(10));
    assertEquals(new OperatorPrincipal("alice"), at(NOW.plusSeconds(600 + 29)).verify(token));
    assertEquals("token expired", reason(at(NOW.plusSeconds(600 + 30)), token));
  }

  @Test
  void tokenFromTheFutureIsRefused() {
    String token = at(NOW.plusSeconds(300)).mint(new OperatorPrincipal("alice"));
    assertEquals("token issued in the future", reason(at(NOW), token));
  }

  @Test
  void notBeforeIsHonoured() throws Exception {
    ECKey key = keys.signingKey().orElseThrow();
    String token =
        sign(key, claims().notBeforeTime(Date.from(NOW.plusSeconds(120))).build());
    assertEquals("token not yet valid", reason(at(NOW), token));
    assertInstanceOf(OperatorPrincipal.class, at(NOW.plusSeconds(100)).verify(token));
  }

  @Test
  void wrongAudienceOrIssuerIsRefused() throws Exception {
    ECKey key = keys.signingKey().orElseThrow();
    assertEquals("wrong audience", reason(at(NOW), sign(key, claims().audience("other").build())));
    assertEquals("wrong issuer", reason(at(NOW), sign(key, claims().issuer("evil").build())));
  }

  @Test
  void hmacAndUnsignedTokensAreRefused() throws Exception {
    SignedJWT hmac =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(keys.keyIds().get(0)).build(),
            claims().build());
    hmac.sign(new MACSigner(new byte[32]));
    assertEquals("algorithm not allowed", reason(at(NOW), hmac.serialize()));

    String none = new PlainJWT(claims().build()).serialize();
    assertEquals("algorithm not allowed", reason(at(NOW), none));

    // An "alg":"none" header glued onto a valid token's payload and signature is not even a JWT.
    String[] parts = at(NOW).mint(new OperatorPrincipal("alice")).split("\\.");
    String noneHeader =
        Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes());
    assertEquals("malformed token", reason(at(NOW), noneHeader + "." + parts[1] + "." + parts[2]));
    assertEquals("algorithm not allowed", reason(at(NOW), noneHeader + "." + parts[1] + "."));
  }

  @Test
  void unknownOrMissingKidIsRefused() throws Exception {
    ECKey stranger = SigningKeys.generate().signingKey().orElseThrow();
    assertEquals("unknown key id", reason(at(NOW), sign(stranger, claims().build())));

    SignedJWT noKid = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).build(), claims().build());
    noKid.sign(new ECDSASigner(keys.signingKey().orElseThrow()));
    assertEquals("missing key id", reason(at(NOW), noKid.serialize()));
  }

  @Test
  void foreignKeyClaimingOurKidFailsTheSignature() throws Exception {
    ECKey stranger =
        new ECKey.Builder(SigningKeys.generate().signingKey().orElseThrow())
            .keyID(keys.keyIds().get(0))
            .build();
    assertEquals("invalid signature", reason(at(NOW), sign(stranger, claims().build())));
  }

  @Test
  void tamperedPayloadFailsTheSignature() {
    String[] parts = at(NOW).mint(new DevicePrincipal("m-1", "till-3")).split("\\.");
    String payload =
        new String(Base64.getUrlDecoder().decode(parts[1])).replace("\"m-1\"", "\"m-2\"");
    String forged =
        parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes()) + "." + parts[2];
    assertEquals("invalid signature", reason(at(NOW), forged));
  }

  @Test
  void malformedInputIsRefusedWithoutEchoingIt() {
    assertEquals("malformed token", reason(at(NOW), "not-a-token"));
    assertEquals("malformed token", reason(at(NOW), ""));
    assertEquals("malformed token", reason(at(NOW), "a".repeat(TokenService.MAX_TOKEN_LENGTH + 1)));
  }

  @Test
  void rotationSignsWithTheNewKeyAndStillAcceptsTheOld() throws Exception {
    SigningKeys old = SigningKeys.generate();
    SigningKeys fresh = SigningKeys.generate();
    String oldToken = at(old, NOW).mint(new OperatorPrincipal("alice"));

    SigningKeys rotated =
        SigningKeys.of(List.of(fresh.signingKey().orElseThrow(), old.signingKey().orElseThrow()));
    TokenService service = at(rotated, NOW);
    String newToken = service.mint(new OperatorPrincipal("bob"));

    assertEquals(fresh.keyIds().get(0), SignedJWT.parse(newToken).getHeader().getKeyID());
    assertEquals(new OperatorPrincipal("alice"), service.verify(oldToken));
    assertEquals(new OperatorPrincipal("bob"), service.verify(newToken));
    // A verifier holding only public keys verifies but cannot mint.
    TokenService verifier = at(rotated.publicOnly(), NOW);
    assertEquals(new OperatorPrincipal("bob"), verifier.verify(newToken));
    assertThrows(IllegalStateException.class, () -> verifier.mint(new OperatorPrincipal("x")));
  }

  @Test
  void tokenWithoutKindClaimsIsRefused() throws Exception {
    ECKey key = keys.signingKey().orElseThrow();
    assertEquals(
        "missing device_id",
        reason(at(NOW), sign(key, claims().claim("kind", "device").claim("merchant_id", "m").build())));
    assertEquals("unknown kind", reason(at(NOW), sign(key, claims().claim("kind", "root").build())));
  }

  @Test
  void developmentKeyIsCreatedOwnerOnlyAndReused() throws Exception {
    TokenService first = TokenService.create(settings());
    Path devKey = dir.resolve(TokenSettings.DEV_KEY_FILE_NAME);
    assertTrue(Files.exists(devKey));
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(devKey));
    String token = first.mint(new DevicePrincipal("m-1", "d-1"));
    assertEquals(new DevicePrincipal("m-1", "d-1"), TokenService.create(settings()).verify(token));
  }

  @Test
  void productionWithoutKeyFileRefusesToStart() {
    var e =
        assertThrows(
            SigningKeyException.class, () -> TokenService.create(settings(Optional.empty(), false)));
    assertTrue(e.getMessage().contains("LOCKSTEP_TOKEN_KEY_FILE"), e.getMessage());
    assertFalse(Files.exists(dir.resolve(TokenSettings.DEV_KEY_FILE_NAME)));
  }

  @Test
  void configuredKeyFileIsUsedAndBadFilesAreReported() throws Exception {
    Path file = dir.resolve("keys.jwks");
    keys.writeNew(file);
    TokenService service = TokenService.create(settings(Optional.of(file), false));
    assertEquals(new OperatorPrincipal("a"), service.verify(service.mint(new OperatorPrincipal("a"))));
    assertEquals(keys.keyIds(), SigningKeys.load(file).keyIds());

    Path broken = dir.resolve("broken.jwks");
    Files.writeString(broken, "{\"keys\": 42}");
    var e = assertThrows(SigningKeyException.class, () -> TokenService.create(settings(Optional.of(broken), false)));
    assertTrue(e.getMessage().contains("broken.jwks"), e.getMessage());
    var missing =
        assertThrows(
            SigningKeyException.class,
            () -> TokenService.create(settings(Optional.of(dir.resolve("none.jwks")), false)));
    assertTrue(missing.getMessage().contains("none.jwks"), missing.getMessage());
  }

  @Test
  void keyFilesAreNeverOverwritten() throws Exception {
    Path file = dir.resolve("keys.jwks");
    keys.writeNew(file);
    String before = Files.readString(file);
    assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> SigningKeys.generate().writeNew(file));
    assertEquals(before, Files.readString(file));
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
  }

  @Test
  void databaseKindDecidesDevKeyPermission() {
    var h2 = TokenSettings.from(com.typesafe.config.ConfigFactory.parseString(
        "issuer=i, audience=a, key-file=\"\", device-ttl=1d, service-ttl=1d, operator-ttl=1h, clock-skew=5s, "
        + "jwks-url=\"\", jwks-refresh=5m, jwks-min-refresh-interval=30s, jwks-fetch-timeout=5s"),
        dir, DatabaseSettings.Kind.H2);
    var pg = TokenSettings.from(com.typesafe.config.ConfigFactory.parseString(
        "issuer=i, audience=a, key-file=\"\", device-ttl=1d, service-ttl=1d, operator-ttl=1h, clock-skew=5s, "
        + "jwks-url=\"\", jwks-refresh=5m, jwks-min-refresh-interval=30s, jwks-fetch-timeout=5s"),
        dir, DatabaseSettings.Kind.POSTGRES);
    assertTrue(h2.devKeyAllowed());
    assertFalse(pg.devKeyAllowed());
  }

  private static JWTClaimsSet.Builder claims() {
    return new JWTClaimsSet.Builder()
        .issuer("lockstep")
        .audience("lockstep")
        .issueTime(Date.from(NOW))
        .expirationTime(Date.from(NOW.plusSeconds(3600)))
        .claim("kind", "operator")
        .claim("name", "alice");
  }

  private static String sign(ECKey key, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt =
        new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
    jwt.sign(new ECDSASigner(key));
    return jwt.serialize();
  }
}
