package io.lockstep.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lockstep.LockstepNode;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Hello;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTPS and {@code wss://} from a PKCS12 key store: a self-signed certificate is generated with
 * the JDK's {@code keytool} at test time, the node serves it, a device connects trusting it.
 */
class TlsTest {
  static final String PASSWORD = "s3cret-Keystore-Pa55";
  static TestDatabase database;
  static Path keyStore;
  static LockstepNode node;

  @BeforeAll
  static void start() throws Exception {
    database = TestDatabase.create(TlsTest.class);
    Files.createDirectories(database.dataDir());
    keyStore = database.dataDir().resolve("server.p12");
    Process keytool = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
            "-genkeypair", "-alias", "lockstep", "-keyalg", "EC", "-groupname", "secp256r1",
            "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2",
            "-storetype", "PKCS12", "-keystore", keyStore.toString(),
            "-storepass", PASSWORD, "-keypass", PASSWORD)
        .redirectErrorStream(true)
        .start();
    String output = new String(keytool.getInputStream().readAllBytes());
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS), "keytool hung");
    assertEquals(0, keytool.exitValue(), output);
    node = LockstepNode.start(tls(PASSWORD));
  }

  private static Config tls(String password) {
    return ConfigFactory.parseString(
            "lockstep.security.tls.key-store = \"" + keyStore + "\"\n"
                + "lockstep.security.tls.key-store-password = \"" + password + "\"")
        .withFallback(database.config());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
    if (database != null) database.close();
  }

  private static HttpClient trustingClient() throws Exception {
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      trusted.load(in, PASSWORD.toCharArray());
    }
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(10)).build();
  }

  @Test
  void aDeviceConnectsOverWssTrustingTheGeneratedCertificate() throws Exception {
    CompletableFuture<ServerFrame> first = new CompletableFuture<>();
    WebSocket socket = trustingClient().newWebSocketBuilder()
        .buildAsync(URI.create("wss://127.0.0.1:" + node.devicePort() + "/v1/devices/ws"), new WebSocket.Listener() {
          final ByteArrayOutputStream partial = new ByteArrayOutputStream();

          @Override
          public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            partial.writeBytes(bytes);
            if (last) {
              try {
                first.complete(ServerFrame.parseFrom(partial.toByteArray()));
              } catch (Exception e) {
                first.completeExceptionally(e);
              }
            }
            ws.request(1);
            return null;
          }
        })
        .get(20, TimeUnit.SECONDS);
    String token = node.tokens().mint(new DevicePrincipal("tls-merchant", "tls-till"));
    socket.sendBinary(ByteBuffer.wrap(ClientFrame.newBuilder()
        .setHello(Hello.newBuilder().setDeviceId("tls-till").setToken(token)).build().toByteArray()), true).join();
    ServerFrame welcome = first.get(20, TimeUnit.SECONDS);
    assertTrue(welcome.hasWelcome(), welcome.toString());
    assertEquals("tls-merchant", welcome.getWelcome().getMerchantId());
    socket.abort();
  }

  @Test
  void theProductApiIsServedOverHttpsAndPlainHttpIsNotAnswered() throws Exception {
    HttpResponse<String> response = trustingClient().send(
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + node.httpPort() + "/v1/merchants/m/items")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(401, response.statusCode());
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    assertThrows(java.io.IOException.class, () -> plain.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/v1/merchants/m/items"))
            .timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void aWrongKeyStorePasswordFailsStartUpWithoutPrintingIt() {
    String wrong = "Wr0ng-But-Secret-Value";
    var failure = assertThrows(LockstepNode.StartupException.class, () -> LockstepNode.start(tls(wrong)));
    assertTrue(failure.getMessage().contains("TLS key store"), failure.getMessage());
    assertFalse(failure.getMessage().contains(wrong));
    assertFalse(String.valueOf(io.lockstep.config.LockstepSettings.from(tls(wrong)).security()).contains(wrong));
  }
}
