package io.lockstep.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.lockstep.config.TokenSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Verification keys from a JWK set URL, served by a loopback HTTP server: caching and rotation. */
class RemoteKeySetTest {
  private final SigningKeys first = SigningKeys.generate();
  private final SigningKeys second = SigningKeys.generate();
  private final AtomicReference<String> served = new AtomicReference<>();
  private final AtomicInteger fetches = new AtomicInteger();
  private HttpServer server;
  private URI uri;

  private static final TokenSettings SETTINGS = new TokenSettings("lockstep", "lockstep", Duration.ofDays(1),
      Duration.ofDays(1), Duration.ofHours(1), Duration.ofSeconds(5), Optional.empty(), Path.of("unused"), false);

  @BeforeEach
  void serve() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/jwks.json", exchange -> {
      fetches.incrementAndGet();
      byte[] body = served.get().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/jwks.json");
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  private TokenService verifier(Duration minRefreshInterval) throws Exception {
    RemoteKeySet keys = RemoteKeySet.of(uri, Duration.ofMinutes(5), minRefreshInterval, Duration.ofSeconds(2));
    return TokenService.verifyOnly(keys, SETTINGS, Clock.systemUTC());
  }

  private static String mint(SigningKeys keys, Principal principal) {
    return TokenService.of(keys, SETTINGS, Clock.systemUTC()).mint(principal);
  }

  @Test
  void verifiesWithTheServedKeysAndCachesThem() throws Exception {
    served.set(first.publicOnly().toJson());
    TokenService service = verifier(Duration.ofMillis(1));
    DevicePrincipal device = new DevicePrincipal("m", "d");
    assertEquals(device, service.verify(mint(first, device)));
    assertEquals(device, service.verify(mint(first, device)));
    assertEquals(1, fetches.get());
  }

  @Test
  void aRotationAtTheProviderIsPickedUpWithoutARestart() throws Exception {
    served.set(first.publicOnly().toJson());
    TokenService service = verifier(Duration.ofMillis(1));
    OperatorPrincipal operator = new OperatorPrincipal("alice");
    assertEquals(operator, service.verify(mint(first, operator)));

    served.set(SigningKeys.of(java.util.List.of(second.signingKey().orElseThrow(), first.signingKey().orElseThrow()))
        .publicOnly().toJson());
    Thread.sleep(5);
    assertEquals(operator, service.verify(mint(second, operator)));
    assertEquals(operator, service.verify(mint(first, operator)));
  }

  @Test
  void unknownKidsCannotMakeTheNodeFetchAgainAndAgain() throws Exception {
    served.set(first.publicOnly().toJson());
    TokenService service = verifier(Duration.ofMinutes(1));
    service.verify(mint(first, new OperatorPrincipal("alice")));
    for (int i = 0; i < 20; i++) {
      String forged = mint(SigningKeys.generate(), new OperatorPrincipal("mallory"));
      assertThrows(InvalidTokenException.class, () -> service.verify(forged));
    }
    assertTrue(fetches.get() <= 2, "fetches: " + fetches.get());
  }

  @Test
  void anUnreachableKeySetRefusesTokensInsteadOfFailingOpen() throws Exception {
    served.set(first.publicOnly().toJson());
    TokenService service = verifier(Duration.ofMillis(1));
    server.stop(0);
    String token = mint(first, new OperatorPrincipal("alice"));
    assertThrows(InvalidTokenException.class, () -> service.verify(token));
  }

  @Test
  void onlyHttpsOrLoopbackHttpIsAccepted() {
    assertThrows(SigningKeyException.class, () -> RemoteKeySet.of(URI.create("http://idp.example.com/jwks.json"),
        Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofSeconds(5)));
    assertThrows(SigningKeyException.class, () -> RemoteKeySet.of(URI.create("file:///etc/jwks.json"),
        Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofSeconds(5)));
  }

  @Test
  void aVerifyOnlyServiceCannotMint() throws Exception {
    served.set(first.publicOnly().toJson());
    TokenService service = verifier(Duration.ofSeconds(1));
    assertThrows(IllegalStateException.class, () -> service.mint(new OperatorPrincipal("alice")));
  }
}
