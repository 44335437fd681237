package io.lockstep.device;

import static io.lockstep.testing.Mutations.upsertItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.lockstep.LockstepNode;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Push;
import io.lockstep.protocol.v1.VersionVector;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.security.ServicePrincipal;
import io.lockstep.testing.HttpApi;
import io.lockstep.testing.TestDatabase;
import io.lockstep.testing.TestDevice;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every device-facing limit and access control over a real node and real sockets, with small
 * limits: frame size, mutations per push, string and list lengths, push rate, sessions per
 * device, token expiry during a session, revocation, Origin allow-list, no permessage-deflate.
 * Runs on H2 by default and on PostgreSQL with {@code -Ppostgres}.
 */
@Tag("postgres")
@ExtendWith(LogCapturingExtension.class)
class DeviceSecurityTest {
  static final int MAX_STRING = 32;
  static final int RATE = 3;
  static TestDatabase database;
  static LockstepNode node;
  static Path revocationFile;

  @BeforeAll
  static void start() throws Exception {
    database = TestDatabase.create(DeviceSecurityTest.class);
    revocationFile = database.dataDir().resolve("revoked-devices.txt");
    Files.createDirectories(revocationFile.getParent());
    Files.writeString(revocationFile, "# none yet\n");
    node = LockstepNode.start(ConfigFactory.parseString(String.join("\n",
            "lockstep.limits.max-frame-bytes = 4096",
            "lockstep.limits.max-mutations-per-push = 5",
            "lockstep.limits.max-string-length = " + MAX_STRING,
            "lockstep.limits.max-version-vector-entries = 4",
            "lockstep.limits.max-pushes-per-second = " + RATE,
            "lockstep.limits.max-sessions-per-device = 1",
            "lockstep.tokens.clock-skew = 0s",
            "lockstep.security.allowed-origins = [\"https://pos.example.com\"]",
            "lockstep.security.revocation-file = \"" + revocationFile + "\"",
            "lockstep.security.revocation-reload = 100ms"))
        .withFallback(database.config()));
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
    if (database != null) database.close();
  }

  private static TestDevice device(String merchant, String device) {
    return TestDevice.hello(node.devicePort(), device, node.tokens().mint(new DevicePrincipal(merchant, device)), 0);
  }

  private static void pushRaw(TestDevice device, Mutation... mutations) {
    device.send(ClientFrame.newBuilder().setPush(Push.newBuilder().addAllMutations(List.of(mutations))).build());
  }

  @Test
  void anOversizeFrameIsRefusedWithFrameTooLarge() {
    try (TestDevice device = device("limits", "big-frame")) {
      device.welcome();
      pushRaw(device, upsertItem(1, "x", "a".repeat(5000), 1));
      assertEquals("frame-too-large", device.error().getCode());
      device.awaitClose();
    }
  }

  @Test
  void aFrameOfMoreThanTwiceTheLimitIsCutBeforeItIsBufferedAndTheNodeServesOn() {
    try (TestDevice device = device("limits", "huge-frame")) {
      device.welcome();
      device.sendRaw(new byte[3 * 4096]); // one WebSocket frame: its header announces 12 KiB
      assertEquals(1009, device.awaitClose(), "message too big");
    }
    try (TestDevice next = device("limits", "after-huge-frame")) {
      assertEquals("limits", next.welcome().getMerchantId());
    }
  }

  @Test
  void theDevicePortServesOnlyTheDeviceEndpoint() throws Exception {
    assertEquals(404, request("GET /v1/merchants/limits/items HTTP/1.1", null).status());
  }

  @Test
  void tooManyMutationsInOnePushAreRefused() {
    try (TestDevice device = device("limits", "many")) {
      device.welcome();
      Mutation[] six = new Mutation[6];
      for (int i = 0; i < six.length; i++) six[i] = upsertItem(i + 1, "i" + i, "n", 1);
      pushRaw(device, six);
      assertEquals("too-many-mutations", device.error().getCode());
    }
  }

  @Test
  void aStringLongerThanTheConfiguredLimitIsRefusedBeforeTheDomain() {
    try (TestDevice device = device("limits", "long-string")) {
      device.welcome();
      device.push(upsertItem(1, "ok", "n".repeat(MAX_STRING), 1));
      assertEquals(AckStatus.ACCEPTED, device.ack().getStatus());
      pushRaw(device, upsertItem(2, "too-long", "n".repeat(MAX_STRING + 1), 1));
      var error = device.error();
      assertEquals("limit-exceeded", error.getCode());
      assertTrue(error.getMessage().contains("name"), error.getMessage());
    }
  }

  @Test
  void theProductApiAppliesTheSameStringBound() {
    HttpApi api = new HttpApi(node.httpPort());
    String token = node.tokens().mint(new ServicePrincipal("catalog", Optional.of("limits-api")));
    String ok = HttpApi.json(Push.newBuilder().addMutations(upsertItem(1, "a", "n".repeat(MAX_STRING), 1)).build());
    String tooLong = HttpApi.json(Push.newBuilder().addMutations(upsertItem(2, "b", "n".repeat(MAX_STRING + 1), 1)).build());
    assertEquals(200, api.post("/v1/merchants/limits-api/mutations", token, ok).statusCode());
    var refused = api.post("/v1/merchants/limits-api/mutations", token, tooLong);
    assertEquals(400, refused.statusCode());
    assertTrue(refused.body().contains("longer than " + MAX_STRING), refused.body());
    assertFalse(api.get("/v1/merchants/limits-api/items", token).body().contains("\"b\""));
  }

  @Test
  void aBaseVersionVectorWithTooManyEntriesIsRefused() {
    try (TestDevice device = device("limits", "big-vector")) {
      device.welcome();
      VersionVector.Builder base = VersionVector.newBuilder();
      for (int i = 0; i < 5; i++) base.putCounters("d" + i, 1);
      pushRaw(device, upsertItem(1, "v", "n", 1).toBuilder().setBase(base).build());
      assertEquals("limit-exceeded", device.error().getCode());
    }
  }

  @Test
  void pushingFasterThanTheRateIsRefusedWithRateLimited() {
    try (TestDevice device = device("limits", "fast")) {
      device.welcome();
      for (int i = 1; i <= RATE * 3; i++) {
        try {
          pushRaw(device, upsertItem(i, "r" + i, "n", 1));
        } catch (java.util.concurrent.CompletionException e) {
          // The server refused and closed before the loop was done: the socket takes no more.
          if (!(e.getCause() instanceof java.io.IOException)) throw e;
          break;
        }
      }
      assertEquals("rate-limited", device.error().getCode());
      device.awaitClose();
    }
  }

  @Test
  void aNewSessionOfTheSameDeviceReplacesTheOldOne() {
    try (TestDevice first = device("sessions", "till"); TestDevice other = device("sessions", "other")) {
      first.welcome();
      other.welcome();
      try (TestDevice second = device("sessions", "till")) {
        second.welcome();
        assertEquals("replaced", first.error().getCode());
        first.awaitClose();
        second.push(upsertItem(1, "still-works", "n", 1));
        assertEquals(AckStatus.ACCEPTED, second.ack().getStatus());
        assertFalse(other.isClosed());
      }
    }
  }

  @Test
  void aTokenThatExpiresDuringTheSessionClosesIt() {
    String token = node.tokens().mint(new DevicePrincipal("expiry", "short-lived"), Duration.ofSeconds(2));
    try (TestDevice device = TestDevice.hello(node.devicePort(), "short-lived", token, 0)) {
      device.welcome();
      assertEquals("token-expired", device.error().getCode());
      device.awaitClose();
    }
  }

  @Test
  void aRevokedDeviceIsClosedAndRefused() throws Exception {
    try (TestDevice device = device("revocation", "stolen"); TestDevice bystander = device("revocation", "kept")) {
      device.welcome();
      bystander.welcome();
      Files.writeString(revocationFile, "# lost on 2026-11-20\nrevocation/stolen\n");
      assertEquals("revoked", device.error().getCode());
      device.awaitClose();
      assertFalse(bystander.isClosed());
    }
    try (TestDevice again = device("revocation", "stolen")) {
      assertEquals("revoked", again.error().getCode());
    }
  }

  @Test
  void revokingOneMerchantsDeviceLeavesTheSameIdAtAnotherMerchant() throws Exception {
    try (TestDevice revoked = device("tenant-1", "register-1"); TestDevice other = device("tenant-2", "register-1")) {
      revoked.welcome();
      other.welcome();
      Files.writeString(revocationFile, "tenant-1/register-1\n");
      assertEquals("revoked", revoked.error().getCode());
      revoked.awaitClose();
      other.push(upsertItem(1, "still-open", "n", 1));
      assertEquals(AckStatus.ACCEPTED, other.ack().getStatus());
    }
    try (TestDevice again = device("tenant-2", "register-1")) {
      again.welcome();
      again.push(upsertItem(2, "reconnected", "n", 1));
      assertEquals(AckStatus.ACCEPTED, again.ack().getStatus());
    }
  }

  @Test
  void theSessionBoundCountsEachMerchantsDeviceApart() throws Exception {
    // Ids may hold any character: a key joined with a separator would make these one device.
    try (TestDevice first = device("split\nhere", "till"); TestDevice second = device("split", "here\ntill")) {
      first.welcome();
      second.welcome();
      assertNull(first.poll(Duration.ofSeconds(1)), "the first session was told to close");
      first.push(upsertItem(1, "not-replaced", "n", 1));
      assertEquals(AckStatus.ACCEPTED, first.ack().getStatus());
    }
  }

  @Test
  void aBrowserOriginNotOnTheListGets403BeforeTheUpgrade() throws Exception {
    assertEquals(403, upgrade("Origin: https://evil.example.net").status());
    assertEquals(101, upgrade("Origin: https://pos.example.com").status());
    assertEquals(101, upgrade(null).status()); // native devices send no Origin
  }

  @Test
  void permessageDeflateIsNeverNegotiated() throws Exception {
    Upgrade response = upgrade("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits");
    assertEquals(101, response.status());
    assertTrue(response.headers().stream().noneMatch(h -> h.toLowerCase(Locale.ROOT).startsWith("sec-websocket-extensions")),
        response.headers().toString());
  }

  record Upgrade(int status, List<String> headers) {}

  /** A hand-written upgrade request, so the test controls every header. */
  private static Upgrade upgrade(String extraHeader) throws Exception {
    return request("GET /v1/devices/ws HTTP/1.1", extraHeader);
  }

  private static Upgrade request(String requestLine, String extraHeader) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", node.devicePort())) {
      socket.setSoTimeout(10_000);
      String request = requestLine + "\r\n"
          + "Host: 127.0.0.1:" + node.devicePort() + "\r\n"
          + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
          + (extraHeader == null ? "" : extraHeader + "\r\n") + "\r\n";
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      int status = Integer.parseInt(in.readLine().split(" ")[1]);
      List<String> headers = new ArrayList<>();
      for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) headers.add(line);
      return new Upgrade(status, headers);
    }
  }
}
