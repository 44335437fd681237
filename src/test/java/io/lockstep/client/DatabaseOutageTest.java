package io.lockstep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.lockstep.LockstepNode;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.security.ServicePrincipal;
import io.lockstep.testing.FaultWorkload;
import io.lockstep.testing.HttpApi;
import io.lockstep.testing.RelayProcess;
import io.lockstep.testing.ServerRecords;
import io.lockstep.testing.TestDatabase;
import io.lockstep.testing.TestDevice;
import io.lockstep.testing.history.Verdict;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL down for 10 s, and separately frozen for 10 s, while devices keep writing: the
 * database is reached through a relay process ({@link RelayProcess}) that the test SIGKILLs (every
 * connection reset, new ones refused) or SIGSTOPs (nothing answered) and brings back. The devices
 * hear {@code unavailable} rather than hang, the node serves again within 5 s of the database
 * returning, and every mutation the devices made is stored exactly once: three {@link
 * LockstepClient}s of one merchant count their stock, and the devices of a second merchant record a
 * history that the {@link io.lockstep.testing.history.HistoryChecker} judges.
 * PostgreSQL only: runs in the {@code -Ppostgres} stage of {@code .ci/run}.
 */
@Tag("postgres")
@org.junit.jupiter.api.extension.ExtendWith(org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension.class)
class DatabaseOutageTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final Duration OUTAGE = Duration.ofSeconds(10);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(4);
  static TestDatabase database;
  static RelayProcess relay;
  static LockstepNode node;
  static HttpApi http;

  @TempDir Path dir;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(TestDatabase.isPostgres(), "a PostgreSQL fault: runs in the -Ppostgres stage of .ci/run");
    database = TestDatabase.create(DatabaseOutageTest.class);
    String url = database.config().getString("lockstep.database.url");
    Matcher port = Pattern.compile("//([^:/]+):(\\d+)/").matcher(url);
    assertTrue(port.find(), url);
    relay = new RelayProcess(Integer.parseInt(port.group(2)));
    String proxied = url.substring(0, port.start()) + "//127.0.0.1:" + relay.port() + "/" + url.substring(port.end());
    // The overrides go through LockstepConfig.load, so every path derived from the URL sees the proxy.
    node = LockstepNode.start(io.lockstep.config.LockstepConfig.load(ConfigFactory.parseMap(Map.of(
            "lockstep.database.url", proxied,
            "lockstep.device.request-timeout", REQUEST_TIMEOUT.toMillis() + "ms",
            "jdbc-journal.circuit-breaker.call-timeout", "2s",
            "jdbc-journal.circuit-breaker.reset-timeout", "2s",
            "pekko-persistence-jdbc.shared-databases.lockstep.db.connectionTimeout", "2s"))
        .withFallback(database.overrides())));
    http = new HttpApi(node.httpPort());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
    if (relay != null) relay.close();
    if (database != null) database.close();
  }

  private LockstepClient client(String merchant, String device, ClientListener listener) {
    String token = node.tokens().mint(new DevicePrincipal(merchant, device));
    return LockstepClient.open(ClientConfig.builder()
        .serverUri(URI.create("ws://127.0.0.1:" + node.devicePort() + "/v1/devices/ws"))
        .deviceId(device).token(() -> token).storePath(dir.resolve(device + ".store"))
        .backoff(Duration.ofMillis(100), Duration.ofMillis(500)).random(new Random(7))
        .listener(listener).build());
  }

  /** When the product API first acknowledges a write again, polling from {@code since}. */
  private static long firstAckNanos(String merchant, long deadlineNanos) throws InterruptedException {
    String token = node.tokens().mint(new ServicePrincipal("probe", Optional.of(merchant)));
    long counter = System.currentTimeMillis();
    while (System.nanoTime() < deadlineNanos) {
      String body = "{\"mutations\":[{\"counter\":\"" + (++counter) + "\",\"upsertItem\":{\"itemId\":\"probe\",\"name\":\"p\",\"priceCents\":\"1\"}}]}";
      HttpResponse<String> response = http.post("/v1/merchants/" + merchant + "/mutations", token, body);
      if (response.statusCode() == 200) return System.nanoTime();
      Thread.sleep(100);
    }
    throw new AssertionError("the node did not acknowledge a write within " + WAIT + " of the database returning");
  }

  @ParameterizedTest
  @ValueSource(strings = {"stop", "pause"})
  void devicesHearUnavailableThenTheNodeServesAgainAndNothingIsLost(String fault) throws Exception {
    String merchant = "outage-" + fault;
    ConcurrentLinkedQueue<Long> unavailableAt = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> states = new ConcurrentLinkedQueue<>();
    ClientListener listener = new ClientListener() {
      @Override
      public void onConnectionState(ConnectionState state, String detail) {
        states.add(state + ": " + detail);
        if (detail != null && detail.contains("unavailable")) unavailableAt.add(System.nanoTime());
      }
    };
    List<LockstepClient> devices = new ArrayList<>();
    for (int i = 0; i < 3; i++) devices.add(client(merchant, "till-" + i, listener));
    FaultWorkload recorded = new FaultWorkload(List.of(TestDevice.uri("127.0.0.1", node.devicePort())),
        node.tokens()::mint, "recorded-" + fault, 2, null);
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicLong made = new AtomicLong();
    Thread writer = new Thread(() -> {
      while (writing.get()) {
        for (LockstepClient device : devices) {
          device.adjustStock("coffee", 1);
          made.incrementAndGet();
        }
        try {
          Thread.sleep(25);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "outage-writer");
    try {
      devices.get(0).upsertItem("coffee", "Coffee", "C-1", 350L);
      for (LockstepClient device : devices) device.start();
      for (LockstepClient device : devices) assertTrue(device.awaitSettled(WAIT), "settled before the fault");
      writer.start();
      recorded.start();
      Thread.sleep(2_000);

      long faultAt = System.nanoTime();
      if (fault.equals("stop")) relay.kill(); else relay.pause();
      Thread.sleep(OUTAGE.toMillis());
      long healedAt = System.nanoTime();
      if (fault.equals("stop")) relay.start(); else relay.resume();
      long servingAt = firstAckNanos(merchant, healedAt + WAIT.toNanos());
      Thread.sleep(1_000);
      writing.set(false);
      writer.join();
      recorded.stop();

      for (LockstepClient device : devices) assertTrue(device.awaitSettled(WAIT), "settled after the fault: " + device.view());
      long firstUnavailable = unavailableAt.stream().filter(t -> t >= faultAt).min(Long::compare)
          .orElseThrow(() -> new AssertionError("no device heard unavailable during the " + fault + "; states: " + states));
      Duration toUnavailable = Duration.ofNanos(firstUnavailable - faultAt);
      Duration toServing = Duration.ofNanos(servingAt - healedAt);
      System.out.printf("database %s: first unavailable after %d ms, serving %d ms after the database returned, %d mutations%n",
          fault, toUnavailable.toMillis(), toServing.toMillis(), made.get());
      assertTrue(toUnavailable.compareTo(REQUEST_TIMEOUT.multipliedBy(2).plusSeconds(2)) <= 0,
          "a device waited " + toUnavailable + " for an answer (no hang past request-timeout, resent once)");
      assertTrue(toServing.compareTo(Duration.ofSeconds(5)) <= 0, "serving again after " + toServing);

      String service = node.tokens().mint(new ServicePrincipal("reader", Optional.of(merchant)));
      String item = http.get("/v1/merchants/" + merchant + "/items/coffee", service).body();
      Matcher stock = Pattern.compile("\"stock\":\\s*\"?(-?\\d+)").matcher(item);
      assertTrue(stock.find(), item);
      assertEquals(made.get(), Long.parseLong(stock.group(1)), "every +1 a device made stored exactly once");
      for (LockstepClient device : devices) {
        assertEquals(made.get(), device.item("coffee").orElseThrow().stock(), device.deviceId() + " converged");
      }
      List<io.lockstep.protocol.v1.Change> feed = ServerRecords.changeFeed(node, recorded.merchant());
      Verdict verdict = recorded.verdict(feed.get(feed.size() - 1).getSeq(),
          history -> ServerRecords.record(node, recorded.merchant(), history));
      System.out.println("database " + fault + ": " + verdict);
      assertTrue(verdict.ok(), verdict::toString);
    } finally {
      recorded.close();
      writing.set(false);
      writer.join(5_000);
      devices.forEach(LockstepClient::close);
    }
  }
}
