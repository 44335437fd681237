package io.lockstep.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.typesafe.config.ConfigFactory;
import io.lockstep.LockstepNode;
import io.lockstep.testing.HttpApi;
import io.lockstep.testing.TestDatabase;
import io.lockstep.testing.TestDevice;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Failed authentication is logged without the secret: every log event (all loggers at DEBUG,
 * Pekko included) during bad tokens over the WebSocket, the product API and the operator routes,
 * and during a start-up with a wrong key store password, is searched for the secret strings.
 */
class SecretsNotLoggedTest {
  static TestDatabase database;
  static LockstepNode node;

  private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
  private Logger root;
  private Level rootLevel;

  @BeforeAll
  static void start() throws Exception {
    database = TestDatabase.create(SecretsNotLoggedTest.class);
    node = LockstepNode.start(ConfigFactory.parseString("pekko.loglevel = DEBUG").withFallback(database.config()));
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
    if (database != null) database.close();
  }

  @BeforeEach
  void capture() {
    root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    rootLevel = root.getLevel();
    root.setLevel(Level.DEBUG);
    captured.start();
    root.addAppender(captured);
  }

  @AfterEach
  void release() {
    root.detachAppender(captured);
    root.setLevel(rootLevel);
  }

  /** A well-formed token signed by a key the node does not know: what a forger would send. */
  private static String forgedToken() {
    return TokenService.of(SigningKeys.generate(), node.settings().tokens(), java.time.Clock.systemUTC())
        .mint(new OperatorPrincipal("mallory"));
  }

  private List<String> loggedText() throws InterruptedException {
    Thread.sleep(500); // Pekko logs asynchronously
    List<String> text = new ArrayList<>();
    for (ILoggingEvent event : List.copyOf(captured.list)) {
      text.add(event.getFormattedMessage());
      text.add(String.valueOf(event.getMDCPropertyMap()));
      if (event.getArgumentArray() != null) {
        for (Object argument : event.getArgumentArray()) text.add(String.valueOf(argument));
      }
      for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) text.add(t.getMessage());
    }
    return text;
  }

  private void assertNeverLogged(String... secrets) throws InterruptedException {
    List<String> text = loggedText();
    assertFalse(captured.list.isEmpty(), "the failures were logged at all");
    for (String secret : secrets) {
      String signature = secret.substring(secret.lastIndexOf('.') + 1);
      for (String line : text) {
        assertFalse(line != null && line.contains(secret), "secret logged: " + line);
        assertFalse(line != null && signature.length() > 20 && line.contains(signature), "signature logged: " + line);
      }
    }
  }

  @Test
  void badDeviceTokensOverTheWebSocket() throws Exception {
    String forged = forgedToken();
    String garbage = "not-a-jwt-but-a-Secret-Value-0123456789";
    String deviceToken = node.tokens().mint(new DevicePrincipal("m-logs", "till"));
    try (TestDevice device = TestDevice.hello(node.devicePort(), "till", forged, 0)) {
      assertEquals("unauthenticated", device.error().getCode());
    }
    try (TestDevice device = TestDevice.hello(node.devicePort(), "till", garbage, 0)) {
      assertEquals("unauthenticated", device.error().getCode());
    }
    try (TestDevice device = TestDevice.hello(node.devicePort(), "another-till", deviceToken, 0)) {
      assertEquals("device-mismatch", device.error().getCode());
    }
    assertNeverLogged(forged, garbage, deviceToken);
    assertTrue(loggedText().stream().anyMatch(l -> l != null && l.contains("Device authentication failed")),
        "the refusals themselves are logged");
  }

  @Test
  void badBearerTokensOverHttp() throws Exception {
    String forged = forgedToken();
    String garbage = "Secret-Password-Like-Value-9876543210";
    String deviceToken = node.tokens().mint(new DevicePrincipal("m-logs", "till"));
    HttpApi api = new HttpApi(node.httpPort());
    assertEquals(401, api.get("/v1/merchants/m-logs/items", forged).statusCode());
    assertEquals(401, api.get("/v1/merchants/m-logs/items", garbage).statusCode());
    assertEquals(403, api.get("/v1/merchants/m-logs/items", deviceToken).statusCode());
    HttpResponse<String> operator = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.managementPort() + "/lockstep/hot-merchants"))
            .header("Authorization", "Bearer " + forged).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(401, operator.statusCode());
    HttpResponse<String> basic = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/v1/merchants/m-logs/items"))
            .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(("admin:" + garbage).getBytes())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(401, basic.statusCode());
    assertFalse(basic.body().contains(garbage));
    assertNeverLogged(forged, garbage, deviceToken);
  }

  @Test
  void aWrongKeyStorePasswordAtStartUp() throws Exception {
    String password = "Key-Store-Secret-4242";
    var config = ConfigFactory.parseString(
            "lockstep.security.tls.key-store = \"" + database.dataDir().resolve("missing.p12") + "\"\n"
                + "lockstep.security.tls.key-store-password = \"" + password + "\"\n"
                + "lockstep.http.port = 0")
        .withFallback(database.config());
    var failure = assertThrows(LockstepNode.StartupException.class, () -> LockstepNode.start(config));
    LoggerFactory.getLogger(SecretsNotLoggedTest.class).error("Start-up failed: {}", failure.getMessage(), failure);
    assertNeverLogged(password);
    assertFalse(Optional.ofNullable(failure.getCause()).map(Throwable::toString).orElse("").contains(password));
  }
}
