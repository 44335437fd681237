package io.lockstep.load;

import com.typesafe.config.ConfigFactory;
import io.lockstep.config.LockstepConfig;
import io.lockstep.config.LockstepSettings;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.security.ServicePrincipal;
import io.lockstep.security.SigningKeys;
import io.lockstep.security.TokenService;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * {@code load-tests/run SCENARIO [--duration S] [--out DIR] [--target URL] [--db postgres] …}:
 * starts Lockstep (unless --target), measures the network and storage baselines in the same run,
 * drives the scenario with real devices over real WebSockets, checks lost/converged, and writes
 * {@code summary.json} and {@code report.html}.
 */
public final class LoadRun {
  final Map<String, String> opts;
  final String scenario;
  final double duration;
  final Path out;
  final Recorder rec = new Recorder();
  final DriverHealth health = new DriverHealth();
  final Map<String, Object> summary = new LinkedHashMap<>();
  final List<String> notes = new ArrayList<>();
  private final ExecutorService callbacks;
  final List<HttpClient> clients = new ArrayList<>();
  final Path jar;
  private final SameRunBaselines baselines = new SameRunBaselines(this);
  TokenService tokens;
  String serviceToken;
  private final Map<String, String> serverEnv = new HashMap<>();
  final List<ServerProcess> servers = new java.util.concurrent.CopyOnWriteArrayList<>(); // skew restarts its cluster
  final List<URI> targets = new ArrayList<>();
  String dbUrl;
  private String httpBase;
  String dbUser = "";
  String dbPassword = "";

  private LoadRun(String scenario, Map<String, String> opts) throws Exception {
    this.scenario = scenario;
    this.opts = opts;
    this.duration = Double.parseDouble(opts.getOrDefault("duration", "30"));
    this.out = Path.of(opts.getOrDefault("out", "load-tests/results/" + scenario)).toAbsolutePath();
    this.jar = Path.of(opts.getOrDefault("jar", "target/lockstep.jar")).toAbsolutePath();
    int threads = Integer.parseInt(opts.getOrDefault("driver-threads", String.valueOf(Math.max(2, health.cores))));
    this.callbacks = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "device-callbacks");
      t.setDaemon(true);
      return t;
    });
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].startsWith("-")) {
      System.err.println("usage: load-tests/run steady|hot|fanout|reconnect-storm|idle|chaos|skew|store-cost [--duration S] [--out DIR]"
          + " (chaos: [--fault kill|stop|partition|db-stop|db-pause] [--fault-seconds S], partition as root)"
          + " [--target URL] [--db postgres] [--merchants N] [--devices N] [--rate N] [--jfr true]"
          + " (fanout: [--rates R1,R2,…] [--step-seconds S] [--warmup-seconds S] [--drain-seconds S])");
      System.exit(2);
    }
    Map<String, String> opts = new HashMap<>();
    for (int i = 1; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        System.err.println("bad argument: " + args[i]);
        System.exit(2);
      }
      opts.put(args[i].substring(2), args[++i]);
    }
    int code = "store-cost".equals(args[0]) ? StoreCostScenario.run(opts) : new LoadRun(args[0], opts).run();
    System.exit(code);
  }

  private int run() throws Exception {
    Files.createDirectories(out);
    summary.put("scenario", scenario);
    summary.put("started", java.time.Instant.now().toString());
    Map<String, Object> machine = new LinkedHashMap<>();
    machine.put("cores", health.cores);
    machine.put("load_average_at_start", DriverHealth.loadAverage());
    summary.put("machine", machine);
    String cannotHold = "idle".equals(scenario) ? IdleScenario.cannotHold(this) : null;
    if (cannotHold != null) {
      System.err.println("idle: " + cannotHold);
      return 2;
    }
    try {
      setUpServer();
      for (int i = 0; i < Math.max(1, devicesPlanned() / 2000 + 1); i++) {
        clients.add(HttpClient.newBuilder().executor(callbacks).connectTimeout(Duration.ofSeconds(30)).build());
      }
      health.start(rec, callbacks, () -> servers.stream().filter(ServerProcess::alive)
          .mapToDouble(ServerProcess::cpuSeconds).sum());
      if (!"idle".equals(scenario)) baselines.network();
      switch (scenario) {
        case "steady" -> new MixedLoadScenario(this).run(intOpt("merchants", 1000), intOpt("devices-per-merchant", 5),
            intOpt("rate", 20000));
        case "hot" -> new MixedLoadScenario(this).run(1, intOpt("devices-per-merchant", 50), intOpt("rate", 10000));
        case "chaos" -> new ChaosScenario(this).run(intOpt("merchants", 100), intOpt("devices-per-merchant", 3),
            intOpt("rate", 2000));
        case "fanout" -> new FanoutScenario(this).run();
        case "reconnect-storm" -> new ReconnectStormScenario(this).run();
        case "idle" -> new IdleScenario(this).run();
        case "skew" -> new SkewScenario(this).run();
        default -> throw new IllegalArgumentException("unknown scenario " + scenario);
      }
      if (!"idle".equals(scenario)) baselines.storage();
      baselines.ratios();
      String warning = health.warning();
      summary.put("driver", Map.of(
          "cpu_mean_percent", round(health.driverCpuMean()), "cpu_max_percent", round(health.driverCpuMax),
          "event_loop_lag_p50_ms", round(Recorder.ms(health.lagTotal, 50)),
          "event_loop_lag_p99_ms", round(Recorder.ms(health.lagTotal, 99)),
          "saturated", warning != null));
      summary.put("server_cpu_mean_percent", round(health.serverCpuMean()));
      machine.put("load_average_at_end", DriverHealth.loadAverage());
      if (warning != null) {
        notes.add("WARNING " + warning);
        System.err.println("WARNING " + warning);
      }
      summary.put("baselines", baselines.baselines);
      summary.put("notes", notes);
      Report.write(out, summary, rec);
      System.out.println(Report.json(summary));
      System.out.println("report: " + out.resolve("report.html"));
      return 0;
    } finally {
      health.close();
      for (ServerProcess s : servers) s.close();
    }
  }

  int devicesPlanned() {
    return switch (scenario) {
      case "steady" -> intOpt("merchants", 1000) * intOpt("devices-per-merchant", 5);
      case "hot" -> intOpt("devices-per-merchant", 50);
      case "chaos" -> intOpt("merchants", 100) * intOpt("devices-per-merchant", 3);
      case "fanout" -> intOpt("merchants", 100) * intOpt("devices-per-merchant", 5);
      case "reconnect-storm" -> intOpt("merchants", 20) * intOpt("devices-per-merchant", 100);
      case "idle" -> 0; // its devices are on Netty's client (IdleFleet), not on these HttpClients
      default -> intOpt("devices", 15000);
    };
  }

  int intOpt(String name, int fallback) {
    return Integer.parseInt(opts.getOrDefault(name, String.valueOf(fallback)));
  }

  // ---- server ------------------------------------------------------------------------------

  private void setUpServer() throws Exception {
    Path keyFile = Path.of(opts.getOrDefault("key-file", out.resolve("signing-key.jwks").toString()));
    if (opts.containsKey("target")) {
      // --target is the product API's base URL; --device-target the device port's (default: port + 10, as 8080 and 8090).
      URI api = URI.create(opts.get("target"));
      httpBase = api.getScheme() + "://" + api.getHost() + ":" + api.getPort();
      String devices = opts.getOrDefault("device-target",
          api.getScheme() + "://" + api.getHost() + ":" + (api.getPort() + 10));
      targets.add(URI.create(devices.replaceFirst("^http", "ws") + "/v1/devices/ws"));
      String env = Optional.ofNullable(System.getenv("LOCKSTEP_TOKEN_KEY_FILE")).orElse(opts.get("key-file"));
      if (env == null) throw new IllegalArgumentException("--target needs --key-file (the node's JWK set)");
      keyFile = Path.of(env);
    } else if (!Files.exists(keyFile)) {
      SigningKeys.generate().writeNew(keyFile);
    }
    Path dataDir = out.resolve("data");
    if (!opts.containsKey("target") && Files.exists(dataDir)) {
      try (var walk = Files.walk(dataDir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Files.createDirectories(dataDir);
    serverEnv.put("LOCKSTEP_TOKEN_KEY_FILE", keyFile.toString());
    serverEnv.put("LOCKSTEP_DATA_DIR", dataDir.toString());
    serverEnv.put("LOCKSTEP_REMOTE_PORT", String.valueOf(freePort()));
    // Figures must not depend on the sessions' keep-alive policy during short runs.
    serverEnv.put("LOCKSTEP_DEVICE_IDLE_TIMEOUT", "600s");
    if (List.of("chaos", "skew").contains(scenario) && !opts.containsKey("target")) opts.put("db", "postgres");
    if ("postgres".equals(opts.get("db"))) {
      dbUrl = Optional.ofNullable(System.getenv("LOCKSTEP_DB_URL")).orElse("jdbc:postgresql://127.0.0.1:5432/lockstep");
      dbUser = Optional.ofNullable(System.getenv("LOCKSTEP_DB_USER")).orElse("lockstep");
      dbPassword = Optional.ofNullable(System.getenv("LOCKSTEP_DB_PASSWORD")).orElse("");
      if (!dbUrl.contains("currentSchema=") && !opts.containsKey("target")) {
        // A fresh schema per scenario: runs start from an empty journal and never touch others' data.
        String schema = "lockstep_load_" + scenario.replace('-', '_');
        try (var c = java.sql.DriverManager.getConnection(dbUrl, dbUser, dbPassword); var st = c.createStatement()) {
          st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
          st.execute("CREATE SCHEMA " + schema);
        }
        dbUrl = dbUrl + (dbUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
      }
      serverEnv.put("LOCKSTEP_DB_URL", dbUrl);
      serverEnv.put("LOCKSTEP_DB_USER", dbUser);
      serverEnv.put("LOCKSTEP_DB_PASSWORD", dbPassword);
    } else {
      dbUrl = "jdbc:h2:file:" + out.resolve("baseline-db/baseline");
      dbUser = "lockstep";
    }
    summary.put("database", "postgres".equals(opts.get("db")) ? "postgres" : "h2 (embedded default)");
    var config = LockstepConfig.load(Map.of("LOCKSTEP_TOKEN_KEY_FILE", keyFile.toString(),
        "LOCKSTEP_DATA_DIR", dataDir.toString()), ConfigFactory.empty());
    tokens = TokenService.create(LockstepSettings.from(config).tokens());
    serviceToken = tokens.mint(new ServicePrincipal("load-test", Optional.empty()));
    if ("chaos".equals(scenario) && !opts.containsKey("target")) {
      chaosFaults = new ChaosFaults(this, opts.getOrDefault("fault", "kill"));
      chaosFaults.startCluster(serverEnv, targets, intOpt("nodes", 3));
      httpBase = "http://" + servers.get(0).host + ":" + servers.get(0).httpPort;
    } else if (!opts.containsKey("target") && !"skew".equals(scenario)) { // skew starts its own clusters
      int http = freePort();
      int device = freePort();
      ServerProcess server = new ServerProcess(jar, out, "node-1", http, device, freePort(), serverEnv,
          opts.getOrDefault("server-heap", "4g"), Boolean.parseBoolean(opts.getOrDefault("jfr", "false")));
      servers.add(server.start());
      server.awaitReady(Duration.ofSeconds(120));
      httpBase = "http://127.0.0.1:" + http;
      targets.add(URI.create("ws://127.0.0.1:" + device + "/v1/devices/ws"));
      summary.put("server", Map.of("pid", server.pid(), "http_port", http, "device_port", device, "log", server.log.toString()));
    }
  }

  /** Starts a local cluster of {@code nodes} with {@code extraEnv} and no fault (skew's). */
  void startCluster(int nodes, Map<String, String> extraEnv) throws Exception {
    Map<String, String> env = new HashMap<>(serverEnv);
    env.putAll(extraEnv);
    ChaosFaults.withoutFault(this).startCluster(env, targets, nodes);
    httpBase = "http://" + servers.get(0).host + ":" + servers.get(0).httpPort;
  }

  /** chaos only: the fault it injects and the cluster it injects it into. */
  ChaosFaults chaosFaults;

  /** The product API of the first node. */
  String httpBase() {
    return httpBase;
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  // ---- devices -------------------------------------------------------------------------------

  List<Merchant> createFleet(String prefix, int merchants, int devicesPerMerchant, int items) {
    List<Merchant> fleet = new ArrayList<>();
    String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
    for (int m = 0; m < merchants; m++) {
      Merchant merchant = new Merchant(prefix + "-" + run + "-" + m, items, "chaos".equals(scenario));
      for (int d = 0; d < devicesPerMerchant; d++) {
        String deviceId = "d" + d;
        merchant.add(new Device(merchant, deviceId, tokens.mint(new DevicePrincipal(merchant.id, deviceId)), rec));
      }
      fleet.add(merchant);
    }
    return fleet;
  }

  /** A fleet connected, each merchant's catalog created and acknowledged: where a load starts. */
  record ReadyFleet(List<Merchant> merchants, List<Device> devices, long connected, double connectSeconds) {}

  ReadyFleet connectWithCatalogs(String prefix, int merchants, int devicesPerMerchant) throws InterruptedException {
    List<Merchant> fleet = createFleet(prefix, merchants, devicesPerMerchant, intOpt("items", 20));
    List<Device> devices = devicesOf(fleet);
    double connectSeconds = connectAll(devices, 200);
    long connected = devices.stream().filter(Device::isOpen).count();
    System.out.printf("connected %d/%d devices in %.1f s%n", connected, devices.size(), connectSeconds);
    for (Merchant m : fleet) m.devices.get(0).pushCatalog(System.nanoTime());
    await(() -> devices.stream().allMatch(d -> d.outbox.isEmpty()), 60);
    return new ReadyFleet(fleet, devices, connected, connectSeconds);
  }

  /** Connects devices, at most {@code parallel} handshakes at a time; returns seconds taken. */
  double connectAll(List<Device> devices, int parallel) {
    long start = System.nanoTime();
    List<CompletableFuture<Long>> window = new ArrayList<>();
    int i = 0;
    for (Device d : devices) {
      HttpClient client = clients.get(i % clients.size());
      URI target = targets.get(i % targets.size());
      i++;
      window.add(d.connect(client, target).exceptionally(e -> -1L));
      if (window.size() >= parallel) {
        CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).orTimeout(60, TimeUnit.SECONDS)
            .exceptionally(e -> null).join();
        window.clear();
      }
    }
    CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).orTimeout(60, TimeUnit.SECONDS)
        .exceptionally(e -> null).join();
    return (System.nanoTime() - start) / 1e9;
  }

  static List<Device> devicesOf(List<Merchant> fleet) {
    return fleet.stream().flatMap(m -> m.devices.stream()).toList();
  }

  static boolean await(java.util.function.BooleanSupplier condition, double seconds) throws InterruptedException {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) return true;
      Thread.sleep(50);
    }
    return condition.getAsBoolean();
  }

  /** Every device has all its mutations acknowledged and has applied everything up to the head. */
  boolean drain(List<Merchant> fleet, double seconds) throws Exception {
    List<Device> devices = devicesOf(fleet);
    // Devices the server closed reconnect and re-send their outbox, as a real client would, so
    // that what was stored without an ack is settled (Welcome.last_counter, DUPLICATE acks).
    boolean acked = await(() -> {
      reconnectClosed(devices);
      return devices.stream().allMatch(d -> d.outbox.isEmpty());
    }, seconds);
    if (!acked) {
      long pending = devices.stream().mapToLong(d -> d.outbox.size()).sum();
      rec.error("unacknowledged-at-end");
      notes.add(pending + " mutations still unacknowledged " + seconds + " s after the load stopped");
    }
    Verifier verifier = new Verifier(httpBase(), serviceToken);
    Map<Merchant, Long> heads = new HashMap<>();
    for (Merchant m : fleet) heads.put(m, verifier.headSeq(m.id));
    return await(() -> fleet.stream().allMatch(m -> m.devices.stream().allMatch(d -> d.appliedSeq >= heads.get(m))),
        seconds);
  }

  /** Devices the server closed (or whose node died) reconnect to a live node and resume. */
  void reconnectClosed(List<Device> devices) {
    List<Integer> live = new ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      if (servers.isEmpty() || servers.get(i).reachable()) live.add(i);
    }
    if (live.isEmpty()) return;
    int i = 0;
    for (Device d : devices) {
      if (d.needsReconnect() && System.nanoTime() - d.connectStartedNanos > 500_000_000L) {
        rec.reconnects.increment();
        int target = live.get(i++ % live.size());
        d.connect(clients.get(target % clients.size()), targets.get(target));
      }
    }
  }

  Map<String, Long> errorKinds() {
    Map<String, Long> kinds = new LinkedHashMap<>();
    rec.errorKinds.forEach((k, v) -> kinds.put(k, v.sum()));
    return kinds;
  }

  /** Events the first node has written to its journal so far (its metrics); -1 without a local node. */
  double journalRowsWritten() {
    if (servers.isEmpty()) return -1;
    return Verifier.metrics(servers.get(0).host, servers.get(0).managementPort, "lockstep_journal_events_total")
        .getOrDefault("lockstep_journal_events_total", -1.0);
  }

  /** Group-commit facts from the node's own metrics: mean events per journal write, write time. */
  void serverFacts() {
    if (servers.isEmpty()) return;
    Map<String, Double> m = Verifier.metrics(servers.get(0).host, servers.get(0).managementPort,
        "lockstep_journal_events_total", "lockstep_journal_write_seconds_count", "lockstep_journal_write_seconds_sum");
    double writes = m.getOrDefault("lockstep_journal_write_seconds_count", 0.0);
    if (writes > 0) {
      summary.put("server_journal_writes", (long) (double) writes);
      summary.put("server_events_per_write", round(m.getOrDefault("lockstep_journal_events_total", 0.0) / writes));
      summary.put("server_journal_write_mean_ms", round(1000 * m.getOrDefault("lockstep_journal_write_seconds_sum", 0.0) / writes));
    }
  }

  static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
