package io.lockstep.demo;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lockstep.LockstepNode;
import io.lockstep.client.ClientConfig;
import io.lockstep.client.ClientListener;
import io.lockstep.client.ClientView;
import io.lockstep.client.LockstepClient;
import io.lockstep.config.LockstepConfig;
import io.lockstep.domain.Conflict;
import io.lockstep.domain.Op;
import io.lockstep.security.DevicePrincipal;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The {@code demo} command: an embedded node and simulated devices that sell, restock, edit prices
 * and drop offline at random, a status line per second, then the convergence check.
 *
 * <pre>
 *   1. node on a temporary data dir, free ports          4. every device online; outboxes drain
 *   2. N devices over M merchants (own store file each)  5. per merchant a fresh client syncs from 0
 *   3. S seconds of traffic, one line per second         6. every device's replica == that state
 * </pre>
 *
 * The verdict is {@link Verdict#converged()}; the command exits 0 when it holds, 1 otherwise.
 */
public final class Demo {

  private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(90);

  /** What to simulate. */
  public record Options(int devices, int merchants, Duration duration, long seed) {
    public Options {
      if (devices < 1) {
        throw new IllegalArgumentException("devices < 1: " + devices);
      }
      if (merchants < 1 || merchants > devices) {
        throw new IllegalArgumentException("merchants must be in 1.." + devices + ": " + merchants);
      }
      Objects.requireNonNull(duration, "duration");
      if (duration.isNegative()) {
        throw new IllegalArgumentException("duration < 0: " + duration);
      }
    }
  }

  /** The outcome: whether every device matched its merchant, and what did not. */
  public record Verdict(boolean converged, List<String> problems, long mutations) {
    public Verdict {
      problems = List.copyOf(problems);
    }
  }

  private final Options options;
  private final PrintStream out;
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong conflicts = new AtomicLong();
  private final List<SimulatedDevice> devices = new ArrayList<>();
  private Path dir;
  private LockstepNode node;
  private HttpClient http;

  private Demo(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /** Runs the whole demo; blocks for about {@code duration} plus the settling time. */
  public static Verdict run(Options options, PrintStream out) throws Exception {
    return new Demo(options, out).run();
  }

  private Verdict run() throws Exception {
    dir = Files.createTempDirectory("lockstep-demo-");
    node = LockstepNode.start(nodeConfig(dir.resolve("server")));
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    boolean keepFiles = false;
    try {
      out.printf("lockstep demo: %d devices, %d merchants, %ds, seed %d; devices ws://127.0.0.1:%d, product API http://127.0.0.1:%d%n",
          options.devices(), options.merchants(), options.duration().toSeconds(), options.seed(),
          node.devicePort(), node.httpPort());
      createDevices();
      awaitFirstConnections();
      traffic();
      Verdict verdict = settle();
      keepFiles = !verdict.converged();
      return verdict;
    } finally {
      devices.forEach(SimulatedDevice::close);
      node.close();
      if (keepFiles) {
        out.println("files kept for inspection: " + dir);
      } else {
        deleteRecursively(dir);
      }
    }
  }

  private static Config nodeConfig(Path dataDir) {
    Map<String, Object> values = new HashMap<>();
    values.put("lockstep.data-dir", dataDir.toString());
    values.put("lockstep.http.host", "127.0.0.1");
    values.put("lockstep.http.port", 0);
    values.put("lockstep.http.device-port", 0);
    values.put("lockstep.remote.host", "127.0.0.1");
    values.put("lockstep.remote.port", 0);
    values.put("lockstep.remote.seed-nodes", "");
    values.put("lockstep.management.host", "127.0.0.1");
    values.put("lockstep.management.port", 0);
    values.put("lockstep.cluster.formation", "seed-nodes");
    values.put("pekko.coordinated-shutdown.exit-jvm", "off");
    return LockstepConfig.load(ConfigFactory.parseMap(values));
  }

  // ---- devices -------------------------------------------------------------------------------

  private void createDevices() {
    Random seeds = new Random(options.seed());
    for (int i = 0; i < options.devices(); i++) {
      String merchant = "merchant-" + (i % options.merchants());
      String device = "device-" + i;
      devices.add(new SimulatedDevice(device, merchant, i < options.merchants(), seeds.nextLong(),
          () -> client(merchant, device, dir.resolve("devices").resolve(device + ".store"))));
    }
    devices.forEach(SimulatedDevice::goOnline);
  }

  /** The first connections wait for the node's cluster and sharding; traffic starts after. */
  private void awaitFirstConnections() throws InterruptedException {
    long started = System.nanoTime();
    for (SimulatedDevice device : devices) {
      if (!device.client().awaitConnected(SETTLE_TIMEOUT)) {
        throw new IllegalStateException(device.deviceId() + " could not connect: "
            + device.client().connectionState());
      }
    }
    out.printf("all %d devices connected in %d ms%n", devices.size(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  private LockstepClient client(String merchant, String device, Path store) {
    String token = node.tokens().mint(new DevicePrincipal(merchant, device));
    return LockstepClient.open(ClientConfig.builder()
        .serverUri(URI.create("ws://127.0.0.1:" + node.devicePort() + "/v1/devices/ws"))
        .deviceId(device)
        .token(() -> token)
        .storePath(store)
        .backoff(Duration.ofMillis(100), Duration.ofSeconds(2))
        .random(new Random(Objects.hash(options.seed(), device)))
        .httpClient(http)
        .listener(new ClientListener() {
          @Override
          public void onRejected(long counter, Op op, String reason) {
            rejected.incrementAndGet();
          }

          @Override
          public void onConflict(Conflict conflict) {
            conflicts.incrementAndGet();
          }
        })
        .build());
  }

  // ---- traffic -------------------------------------------------------------------------------

  private void traffic() throws InterruptedException {
    long deadline = System.nanoTime() + options.duration().toNanos();
    ExecutorService drivers = Executors.newFixedThreadPool(devices.size());
    Random pauses = new Random(options.seed() ^ 0x5eed);
    for (SimulatedDevice device : devices) {
      long pauseSeed = pauses.nextLong();
      drivers.execute(() -> drive(device, deadline, new Random(pauseSeed)));
    }
    ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor();
    long started = System.nanoTime();
    long[] lastAcked = {0};
    reporter.scheduleAtFixedRate(() -> report(started, lastAcked), 1, 1, TimeUnit.SECONDS);
    drivers.shutdown();
    drivers.awaitTermination(options.duration().toMillis() + 60_000, TimeUnit.MILLISECONDS);
    reporter.shutdownNow();
    reporter.awaitTermination(5, TimeUnit.SECONDS);
  }

  private static void drive(SimulatedDevice device, long deadline, Random pauses) {
    while (System.nanoTime() < deadline) {
      device.step();
      try {
        Thread.sleep(50 + pauses.nextInt(200));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void report(long started, long[] lastAcked) {
    long acked = devices.stream().mapToLong(SimulatedDevice::acknowledged).sum();
    long pending = devices.stream().mapToLong(d -> d.client().view().unacknowledged()).sum();
    long connected = devices.stream().filter(SimulatedDevice::connected).count();
    long refused = devices.stream().mapToLong(SimulatedDevice::refused).sum();
    out.printf("t=%3ds  acked/s=%5d  acked=%7d  pending=%5d  connected=%d/%d  rejected=%d"
            + "  refused-locally=%d  conflicts=%d%n",
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), acked - lastAcked[0], acked,
        pending, connected, devices.size(), rejected.get(), refused, conflicts.get());
    lastAcked[0] = acked;
  }

  // ---- convergence ---------------------------------------------------------------------------

  private Verdict settle() throws InterruptedException {
    out.println("bringing every device online and waiting for outboxes to drain…");
    devices.forEach(SimulatedDevice::goOnline);
    List<String> problems = new ArrayList<>();
    for (SimulatedDevice device : devices) {
      if (!device.client().await(v -> v.unacknowledged() == 0, SETTLE_TIMEOUT)) {
        problems.add(device.deviceId() + ": outbox did not drain ("
            + device.client().view().unacknowledged() + " left)");
      }
    }
    Map<String, ClientView> truth = new HashMap<>();
    for (int m = 0; m < options.merchants(); m++) {
      String merchant = "merchant-" + m;
      truth.put(merchant, serverState(merchant, problems));
    }
    for (SimulatedDevice device : devices) {
      compare(device, truth.get(device.merchantId()), problems);
    }
    long mutations = devices.stream().mapToLong(SimulatedDevice::submitted).sum();
    report(truth, problems, mutations);
    return new Verdict(problems.isEmpty(), problems, mutations);
  }

  /** The merchant as a fresh client that syncs from seq 0 sees it. */
  private ClientView serverState(String merchant, List<String> problems)
      throws InterruptedException {
    Path store = dir.resolve("verify").resolve(merchant + ".store");
    try (LockstepClient fresh = client(merchant, "verifier-" + merchant, store)) {
      fresh.start();
      if (!fresh.awaitSettled(SETTLE_TIMEOUT)) {
        problems.add("verifier of " + merchant + " did not sync: " + fresh.view().connectionState());
      }
      return fresh.view();
    }
  }

  private static void compare(SimulatedDevice device, ClientView truth, List<String> problems)
      throws InterruptedException {
    long head = truth.lastAppliedSeq();
    LockstepClient client = device.client();
    if (!client.await(v -> v.settled() && v.lastAppliedSeq() >= head, SETTLE_TIMEOUT)) {
      problems.add(device.deviceId() + ": not caught up (seq " + client.lastAppliedSeq() + " of "
          + head + ", pending " + client.pendingCount() + ", " + client.connectionState() + ")");
      return;
    }
    ClientView view = client.view();
    diff(device.deviceId(), "item", view.items(), truth.items(), problems);
    diff(device.deviceId(), "order", view.orders(), truth.orders(), problems);
  }

  private static <T> void diff(String device, String kind, Map<String, T> actual,
      Map<String, T> expected, List<String> problems) {
    if (actual.equals(expected)) {
      return;
    }
    Stream.concat(actual.keySet().stream(), expected.keySet().stream()).distinct().sorted()
        .filter(id -> !Objects.equals(actual.get(id), expected.get(id)))
        .limit(3)
        .forEach(id -> problems.add(device + ": " + kind + " " + id + " is " + actual.get(id)
            + ", server has " + expected.get(id)));
  }

  private void report(Map<String, ClientView> truth, List<String> problems, long mutations) {
    truth.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> out.printf(
        "  %s: seq %d, %d items, %d orders%n", e.getKey(), e.getValue().lastAppliedSeq(),
        e.getValue().items().size(), e.getValue().orders().size()));
    if (problems.isEmpty()) {
      out.printf("CONVERGED: all %d devices equal the server state of their merchant "
          + "(%d mutations, %d rejected, %d conflicts resolved)%n",
          devices.size(), mutations, rejected.get(), conflicts.get());
    } else {
      out.printf("DIVERGED: %d problem(s)%n", problems.size());
      problems.forEach(p -> out.println("  " + p));
    }
  }

  private static void deleteRecursively(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
