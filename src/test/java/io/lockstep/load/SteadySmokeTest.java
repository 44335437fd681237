package io.lockstep.load;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.util.JsonFormat;
import io.lockstep.LockstepNode;
import io.lockstep.api.v1.ItemList;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Item;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.security.ServicePrincipal;
import io.lockstep.testing.Mutations;
import io.lockstep.testing.TestDatabase;
import io.lockstep.testing.ReconnectingDevice;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A few seconds of the {@code steady} load scenario in the test suite: several merchants, several
 * devices each, restocks pushed over real WebSockets. Figures are printed, never asserted (this
 * machine is shared); only correctness is: nothing acknowledged is lost and every device converges.
 * The full scenario is {@code load-tests/run steady} (BENCHMARKS.md).
 */
@ExtendWith(LogCapturingExtension.class)
class SteadySmokeTest {
  private static final int MERCHANTS = 4;
  private static final int DEVICES = 3;
  private static final int ITEMS = 5;
  private static final Duration RUN = Duration.ofSeconds(3);
  // How long a device keeps resending one mutation before the test fails: well above the
  // server's request-timeout and restart backoff, so only a push that is never answered fails.
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  static TestDatabase database;
  static LockstepNode node;

  @BeforeAll
  static void start() throws Exception {
    database = TestDatabase.create(SteadySmokeTest.class);
    node = LockstepNode.start(database.config());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
    if (database != null) database.close();
  }

  @Test
  void steadySmoke() throws Exception {
    List<List<ReconnectingDevice>> merchants = new ArrayList<>();
    Map<String, Map<String, AtomicLong>> expected = new HashMap<>();
    for (int m = 0; m < MERCHANTS; m++) {
      String merchant = "smoke-" + m;
      List<ReconnectingDevice> devices = new ArrayList<>();
      for (int d = 0; d < DEVICES; d++) {
        String id = "d" + d;
        devices.add(new ReconnectingDevice(node.devicePort(), id, node.tokens().mint(new DevicePrincipal(merchant, id))));
      }
      Map<String, AtomicLong> stock = new HashMap<>();
      for (int i = 0; i < ITEMS; i++) {
        devices.get(0).push(Mutations.upsertItem(i + 1, "item-" + i, "Item " + i, 100), PATIENCE);
        stock.put("item-" + i, new AtomicLong());
      }
      expected.put(merchant, stock);
      merchants.add(devices);
    }

    // Closed loop per device: push one restock, wait for its answer (reconnecting and resending
    // when the server says unavailable or busy, as a real device does).
    List<long[]> latencies = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    long deadline = System.nanoTime() + RUN.toNanos();
    for (int m = 0; m < MERCHANTS; m++) {
      for (int d = 0; d < DEVICES; d++) {
        ReconnectingDevice device = merchants.get(m).get(d);
        Map<String, AtomicLong> stock = expected.get("smoke-" + m);
        long firstCounter = d == 0 ? ITEMS + 1 : 1;
        long[] samples = new long[200_000];
        latencies.add(samples);
        Thread thread = new Thread(() -> {
          long counter = firstCounter;
          int n = 0;
          try {
            while (System.nanoTime() < deadline && n < samples.length - 1) {
              String item = "item-" + ThreadLocalRandom.current().nextInt(ITEMS);
              long sent = System.nanoTime();
              Ack ack = device.push(Mutations.restock(counter++, item), PATIENCE);
              samples[++n] = System.nanoTime() - sent;
              // DUPLICATE: the server held it already (an ack lost to a reconnect)
              if (ack.getStatus() == AckStatus.ACCEPTED || ack.getStatus() == AckStatus.DUPLICATE) {
                stock.get(item).incrementAndGet();
              }
            }
          } catch (Throwable e) {
            failures.add(e);
          }
          samples[0] = n;
        }, "smoke-" + m + "-" + d);
        threads.add(thread);
        thread.start();
      }
    }
    for (Thread t : threads) t.join();
    assertEquals(List.of(), failures, "devices that got no answer");

    long acked = latencies.stream().mapToLong(s -> s[0]).sum();
    long[] all = latencies.stream().flatMapToLong(s -> Arrays.stream(s, 1, (int) s[0] + 1)).sorted().toArray();
    long lost = 0;
    int divergent = 0;
    int reconnects = 0;
    for (int m = 0; m < MERCHANTS; m++) {
      ItemList server = items("smoke-" + m);
      Map<String, Item> serverItems = new HashMap<>();
      server.getItemsList().forEach(i -> serverItems.put(i.getItemId(), i));
      for (var e : expected.get("smoke-" + m).entrySet()) {
        lost += Math.abs(e.getValue().get() - serverItems.get(e.getKey()).getStock());
      }
      for (ReconnectingDevice device : merchants.get(m)) {
        if (!device.awaitSeq(server.getHeadSeq(), PATIENCE).equals(serverItems)) divergent++;
        reconnects += device.reconnects();
        device.close();
      }
    }
    System.out.printf(
        "steady smoke: %d merchants x %d devices, %.1f s: %.0f acknowledged mutations/s, ack p50 %.2f ms,"
            + " p99 %.2f ms, %d reconnects, lost %d, divergent devices %d (figures from a shared machine; not asserted)%n",
        MERCHANTS, DEVICES, RUN.toMillis() / 1000.0, acked / (RUN.toMillis() / 1000.0),
        percentile(all, 50), percentile(all, 99), reconnects, lost, divergent);
    assertEquals(0, lost, "acknowledged mutations missing from the server's state");
    assertEquals(0, divergent, "devices whose replica differs from the server's state");
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) return 0;
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)] / 1e6;
  }

  private static ItemList items(String merchant) throws Exception {
    String token = node.tokens().mint(new ServicePrincipal("smoke", Optional.of(merchant)));
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/v1/merchants/" + merchant + "/items"))
            .header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    ItemList.Builder items = ItemList.newBuilder();
    JsonFormat.parser().ignoringUnknownFields().merge(response.body(), items);
    return items.build();
  }
}
