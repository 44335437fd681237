package io.lockstep.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.client.ClientConfig;
import io.lockstep.client.ClientListener;
import io.lockstep.client.ConnectionState;
import io.lockstep.client.LockstepClient;
import io.lockstep.domain.Item;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.storage.v1.MutationRecorded;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@link LockstepClient} devices of a {@link ProcessCluster}'s merchants over real WebSockets, and
 * what the cluster tests check of them: every device converged on the stock its merchant's
 * devices pushed, every submitted mutation in the journal exactly once. Records the Error frames
 * devices were sent and the submits a client refused.
 */
final class ClusterDevices implements AutoCloseable {
  static final String STOCK = "stock";
  private static final Duration POLL = Duration.ofMillis(250);

  private final ProcessCluster cluster;
  private final Path dir;
  private final Duration convergence;
  private final List<LockstepClient> clients = new CopyOnWriteArrayList<>();
  private final Map<String, List<String>> serverErrors = new ConcurrentHashMap<>();
  private final List<String> refusals = new CopyOnWriteArrayList<>();

  ClusterDevices(ProcessCluster cluster, Path dir, Duration convergence) {
    this.cluster = cluster;
    this.dir = dir;
    this.convergence = convergence;
  }

  /** A started device of {@code merchant} connecting to {@code node}, its store in the harness directory. */
  LockstepClient device(String merchant, String deviceId, NodeProcess node) {
    String token = cluster.mint(new DevicePrincipal(merchant, deviceId));
    String key = merchant + "/" + deviceId;
    LockstepClient client = LockstepClient.open(ClientConfig.builder()
        .serverUri(URI.create("ws://127.0.0.1:" + node.devicePort() + "/v1/devices/ws"))
        .deviceId(deviceId)
        .token(() -> token)
        .storePath(dir.resolve(merchant + "-" + deviceId + ".store"))
        .backoff(Duration.ofMillis(100), Duration.ofSeconds(1))
        .random(new Random(key.hashCode()))
        .listener(new ClientListener() {
          @Override
          public void onConnectionState(ConnectionState state, String detail) {
            if (detail != null && detail.contains("server error")) {
              serverErrors.computeIfAbsent(key, d -> new CopyOnWriteArrayList<>()).add(detail);
            }
          }
        })
        .build());
    clients.add(client);
    client.start();
    return client;
  }

  /** The Error frames devices were sent, by {@code merchant/device}. */
  Map<String, List<String>> serverErrors() {
    return serverErrors;
  }

  /**
   * {@code device} adds 1 to the stock every {@code period} on {@code pushers}; each submitted
   * counter is added to {@code counters}.
   */
  void pushEvery(ScheduledExecutorService pushers, LockstepClient device, Set<Long> counters, Duration period) {
    pushers.scheduleAtFixedRate(() -> {
      try {
        counters.add(device.adjustStock(STOCK, 1));
      } catch (RuntimeException e) {
        // A thrown task would silently stop this device's pushes; fail the test instead.
        refusals.add(device.deviceId() + ": " + e);
        throw e;
      }
    }, 0, period.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Lets a running submit finish: an interrupted one would leave its mutation's fate unknown. */
  static void stopPushing(ScheduledExecutorService pushers) throws InterruptedException {
    pushers.shutdown();
    assertTrue(pushers.awaitTermination(30, TimeUnit.SECONDS), "pushers stopped");
  }

  /** Every device settled (nothing pending, all changes applied) with the expected stock. */
  void awaitConverged(List<LockstepClient> devices, long stockDelta) {
    try {
      await("devices converge").atMost(convergence).pollInterval(POLL).until(() -> devices.stream()
          .allMatch(d -> d.view().settled()
              && d.item(STOCK).map(Item::stock).orElse(-1L) == stockDelta));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      String views = devices.stream()
          .map(d -> d.deviceId() + ": " + d.view().connectionState() + " pending=" + d.view().pending()
              + " applied=" + d.view().lastAppliedSeq() + " head=" + d.view().knownHeadSeq()
              + " stock=" + d.item(STOCK).map(Item::stock).orElse(-1L))
          .collect(Collectors.joining("\n"));
      throw new AssertionError(e.getMessage() + "\nexpected stock " + stockDelta + "\n" + views
          + "\nserver errors " + serverErrors + cluster.logTails(), e);
    }
  }

  /** Creates the stock item through the first device and waits until every device has it. */
  void createStockItem(List<LockstepClient> devices) throws InterruptedException {
    devices.get(0).upsertItem(STOCK, "Coffee", "C-1", 250L);
    for (LockstepClient device : devices) {
      assertTrue(device.await(v -> v.items().containsKey(STOCK) && v.pending() == 0, convergence),
          device.deviceId() + " knows the item");
    }
  }

  /** Each submitted mutation is in the journal exactly once, and nothing else from these devices. */
  void assertExactlyOnce(String merchant, Map<String, Set<Long>> submitted) {
    assertEquals(List.of(), refusals, "the clients accepted every mutation");
    List<MutationRecorded> journal = cluster.journal(merchant);
    Map<String, List<Long>> stored = journal.stream()
        .filter(e -> submitted.containsKey(e.getDeviceId()) && e.getMutation().hasAdjustStock())
        .collect(Collectors.groupingBy(MutationRecorded::getDeviceId,
            Collectors.mapping(e -> e.getMutation().getCounter(), Collectors.toList())));
    for (Map.Entry<String, Set<Long>> device : submitted.entrySet()) {
      List<Long> counters = stored.getOrDefault(device.getKey(), List.of());
      assertEquals(device.getValue().size(), counters.size(), merchant + "/" + device.getKey() + ": no duplicate, none lost");
      assertEquals(device.getValue(), new HashSet<>(counters), merchant + "/" + device.getKey() + ": the same counters");
    }
    for (int i = 0; i < journal.size(); i++) {
      assertEquals(i + 1, journal.get(i).getSeq(), merchant + ": gap-free merchant seq");
    }
  }

  /** Closes every device and forgets what they saw. */
  @Override
  public void close() {
    clients.forEach(LockstepClient::close);
    clients.clear();
    serverErrors.clear();
    refusals.clear();
  }
}
