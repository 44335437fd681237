package io.lockstep.load;

import com.typesafe.config.ConfigFactory;
import io.lockstep.config.LockstepConfig;
import io.lockstep.config.LockstepSettings;
import io.lockstep.protocol.v1.AdjustStock;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Push;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code load-tests/run SCENARIO [--duration S] [--out DIR] [--target URL] [--db postgres] …}:
 * starts Lockstep (unless --target), measures the network and storage baselines in the same run,
 * drives the scenario with real devices over real WebSockets, checks lost/converged, and writes
 * {@code summary.json} and {@code report.html}.
 */
public final class LoadRun {
  private final Map<String, String> opts;
  private final String scenario;
  private final double duration;
  private final Path out;
  private final Recorder rec = new Recorder();
  private final DriverHealth health = new DriverHealth();
  private final Map<String, Object> summary = new LinkedHashMap<>();
  private final Map<String, Object> baselines = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private final ExecutorService callbacks;
  private final List<HttpClient> clients = new ArrayList<>();
  private final Path jar;
  private TokenService tokens;
  private String serviceToken;
  private Map<String, String> serverEnv = new HashMap<>();
  private final List<ServerProcess> servers = new ArrayList<>();
  private List<URI> targets = new ArrayList<>();
  private String dbUrl;
  private String dbUser = "";
  private String dbPassword = "";

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
      System.err.println("usage: load-tests/run steady|hot|reconnect-storm|idle|chaos [--duration S] [--out DIR]"
          + " [--target URL] [--db postgres] [--merchants N] [--devices N] [--rate N] [--jfr true]");
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
    int code = new LoadRun(args[0], opts).run();
    System.exit(code);
  }

  private int run() throws Exception {
    Files.createDirectories(out);
    summary.put("scenario", scenario);
    summary.put("started", java.time.Instant.now().toString());
    summary.put("machine", Map.of("cores", health.cores, "load_average_at_start",
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
    try {
      setUpServer();
      for (int i = 0; i < Math.max(1, devicesPlanned() / 2000 + 1); i++) {
        clients.add(HttpClient.newBuilder().executor(callbacks).connectTimeout(Duration.ofSeconds(30)).build());
      }
      health.start(rec, callbacks, () -> servers.stream().filter(ServerProcess::alive)
          .mapToDouble(ServerProcess::cpuSeconds).sum());
      if (!"idle".equals(scenario)) networkBaseline();
      switch (scenario) {
        case "steady" -> load(intOpt("merchants", 1000), intOpt("devices-per-merchant", 5), intOpt("rate", 20000));
        case "hot" -> load(1, intOpt("devices-per-merchant", 50), intOpt("rate", 10000));
        case "chaos" -> load(intOpt("merchants", 100), intOpt("devices-per-merchant", 3), intOpt("rate", 2000));
        case "reconnect-storm" -> reconnectStorm();
        case "idle" -> idle();
        default -> throw new IllegalArgumentException("unknown scenario " + scenario);
      }
      if (!"idle".equals(scenario)) storageBaseline();
      ratios();
      String warning = health.warning();
      summary.put("driver", Map.of(
          "cpu_mean_percent", round(health.driverCpuMean()), "cpu_max_percent", round(health.driverCpuMax),
          "event_loop_lag_p50_ms", round(Recorder.ms(health.lagTotal, 50)),
          "event_loop_lag_p99_ms", round(Recorder.ms(health.lagTotal, 99)),
          "saturated", warning != null));
      summary.put("server_cpu_mean_percent", round(health.serverCpuMean()));
      if (warning != null) {
        notes.add("WARNING " + warning);
        System.err.println("WARNING " + warning);
      }
      summary.put("baselines", baselines);
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

  private int devicesPlanned() {
    return switch (scenario) {
      case "steady" -> intOpt("merchants", 1000) * intOpt("devices-per-merchant", 5);
      case "hot" -> intOpt("devices-per-merchant", 50);
      case "chaos" -> intOpt("merchants", 100) * intOpt("devices-per-merchant", 3);
      case "reconnect-storm" -> intOpt("merchants", 20) * intOpt("devices-per-merchant", 100);
      default -> intOpt("devices", 15000);
    };
  }

  private int intOpt(String name, int fallback) {
    return Integer.parseInt(opts.getOrDefault(name, String.valueOf(fallback)));
  }

  // ---- server ------------------------------------------------------------------------------

  private void setUpServer() throws Exception {
    Path keyFile = Path.of(opts.getOrDefault("key-file", out.resolve("signing-key.jwks").toString()));
    if (opts.containsKey("target")) {
      targets.add(URI.create(opts.get("target").replaceFirst("^http", "ws") + "/v1/devices/ws"));
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
    if ("chaos".equals(scenario) && !opts.containsKey("target")) opts.put("db", "postgres");
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
      startCluster(intOpt("nodes", 3));
    } else if (!opts.containsKey("target")) {
      int http = freePort();
      ServerProcess server = new ServerProcess(jar, out, "node-1", http, freePort(), serverEnv,
          opts.getOrDefault("server-heap", "4g"), Boolean.parseBoolean(opts.getOrDefault("jfr", "false")));
      servers.add(server.start());
      server.awaitReady(Duration.ofSeconds(120));
      targets.add(URI.create("ws://127.0.0.1:" + http + "/v1/devices/ws"));
      summary.put("server", Map.of("pid", server.pid(), "http_port", http, "log", server.log.toString()));
    }
  }

  /**
   * A local cluster: every node on its own remoting, HTTP and management port, the first two as
   * seed nodes, one shared signing key and one PostgreSQL journal.
   */
  private void startCluster(int nodes) throws Exception {
    List<Integer> remote = new ArrayList<>();
    for (int i = 0; i < nodes; i++) remote.add(freePort());
    String seeds = "127.0.0.1:" + remote.get(0) + (nodes > 1 ? ",127.0.0.1:" + remote.get(1) : "");
    List<Map<String, Object>> described = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      Map<String, String> env = new HashMap<>(serverEnv);
      env.put("LOCKSTEP_REMOTE_PORT", String.valueOf(remote.get(i)));
      env.put("LOCKSTEP_SEED_NODES", seeds);
      env.put("LOCKSTEP_DATA_DIR", out.resolve("data/node-" + (i + 1)).toString());
      int http = freePort();
      ServerProcess server = new ServerProcess(jar, out, "node-" + (i + 1), http, freePort(), env,
          opts.getOrDefault("server-heap", "2g"), Boolean.parseBoolean(opts.getOrDefault("jfr", "false")));
      servers.add(server.start());
      targets.add(URI.create("ws://127.0.0.1:" + http + "/v1/devices/ws"));
      described.add(Map.of("pid", server.pid(), "http_port", http, "remote_port", remote.get(i), "log", server.log.toString()));
    }
    for (ServerProcess s : servers) s.awaitReady(Duration.ofSeconds(180));
    summary.put("cluster", described);
  }

  private String httpBase() {
    URI t = targets.get(0);
    return "http://" + t.getHost() + ":" + t.getPort();
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  // ---- devices -------------------------------------------------------------------------------

  private List<Merchant> createFleet(String prefix, int merchants, int devicesPerMerchant, int items) {
    List<Merchant> fleet = new ArrayList<>();
    String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
    for (int m = 0; m < merchants; m++) {
      Merchant merchant = new Merchant(prefix + "-" + run + "-" + m, items);
      for (int d = 0; d < devicesPerMerchant; d++) {
        String deviceId = "d" + d;
        merchant.add(new Device(merchant, deviceId, tokens.mint(new DevicePrincipal(merchant.id, deviceId)), rec));
      }
      fleet.add(merchant);
    }
    return fleet;
  }

  /** Connects devices, at most {@code parallel} handshakes at a time; returns seconds taken. */
  private double connectAll(List<Device> devices, int parallel) {
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

  private static List<Device> devicesOf(List<Merchant> fleet) {
    return fleet.stream().flatMap(m -> m.devices.stream()).toList();
  }

  private static boolean await(java.util.function.BooleanSupplier condition, double seconds) throws InterruptedException {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) return true;
      Thread.sleep(50);
    }
    return condition.getAsBoolean();
  }

  /** Every device has all its mutations acknowledged and has applied everything up to the head. */
  private boolean drain(List<Merchant> fleet, double seconds) throws Exception {
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

  // ---- scenarios -----------------------------------------------------------------------------

  /**
   * steady and hot: open-loop offered load of mixed sales (order + line + stock -1, one push) and
   * restocks (stock +1), spread over all devices; latency is measured from the intended send time,
   * so a push held back by the in-flight limit counts its wait (no coordinated omission).
   */
  private void load(int merchants, int perMerchant, int rate) throws Exception {
    List<Merchant> fleet = createFleet(scenario, merchants, perMerchant, intOpt("items", 20));
    List<Device> devices = devicesOf(fleet);
    double connectSeconds = connectAll(devices, 200);
    long connected = devices.stream().filter(Device::isOpen).count();
    System.out.printf("connected %d/%d devices in %.1f s%n", connected, devices.size(), connectSeconds);
    for (Merchant m : fleet) m.devices.get(0).pushCatalog(System.nanoTime());
    await(() -> devices.stream().allMatch(d -> d.outbox.isEmpty()), 60);

    double saleShare = Double.parseDouble(opts.getOrDefault("sale-share", "0.5"));
    double mutationsPerPush = saleShare * 3 + (1 - saleShare);
    double pushesPerDevicePerSecond = rate / mutationsPerPush / devices.size();
    long interval = (long) (1e9 / pushesPerDevicePerSecond);
    int maxInFlight = intOpt("max-in-flight", 8);
    double warmup = Math.min(5, duration / 5);
    long start = System.nanoTime();
    for (Device d : devices) d.nextSendNanos = start + ThreadLocalRandom.current().nextLong(interval);
    long end = start + (long) ((warmup + duration) * 1e9);
    long measureFrom = start + (long) (warmup * 1e9);
    long acceptedAtMeasure = -1;
    double journalRowsAtMeasure = -1;
    long lastTick = System.nanoTime();
    boolean chaos = "chaos".equals(scenario) && servers.size() > 1;
    long killAt = measureFrom + (long) (duration / 4 * 1e9);
    long restartAt = measureFrom + (long) (duration / 2 * 1e9);
    long nextReconnectScan = start;
    ServerProcess victim = chaos ? servers.get(servers.size() - 1) : null;
    List<Map<String, Object>> events = new ArrayList<>();
    boolean killed = false;
    boolean restarted = false;
    while (true) {
      long now = System.nanoTime();
      if (now >= end) break;
      if (chaos && !killed && now >= killAt) {
        victim.kill();
        killed = true;
        events.add(Map.of("t_s", round((now - start) / 1e9), "event", "SIGKILL node " + servers.size()));
        System.out.println("chaos: killed node " + servers.size());
      }
      if (chaos && killed && !restarted && now >= restartAt) {
        victim.start();
        restarted = true;
        events.add(Map.of("t_s", round((now - start) / 1e9), "event", "restarted node " + servers.size()));
        System.out.println("chaos: restarted node " + servers.size());
      }
      if (now >= nextReconnectScan) {
        reconnectClosed(devices);
        nextReconnectScan = now + 500_000_000L;
      }
      if (acceptedAtMeasure < 0 && now >= measureFrom) {
        acceptedAtMeasure = rec.acceptedMutations.sum();
        journalRowsAtMeasure = journalRowsWritten();
        rec.measuring = true;
      }
      health.pacerLate(Math.max(0, (now - lastTick) / 1000 - 2000));
      lastTick = now;
      for (Device d : devices) {
        while (d.nextSendNanos <= now && d.pushesInFlight.get() < maxInFlight && d.isOpen()) {
          d.pushMixed(d.nextSendNanos, saleShare);
          d.nextSendNanos += interval;
        }
      }
      Thread.sleep(2);
    }
    double measured = (System.nanoTime() - measureFrom) / 1e9;
    long accepted = rec.acceptedMutations.sum() - Math.max(0, acceptedAtMeasure);
    double journalRows = journalRowsWritten() - journalRowsAtMeasure;
    rec.measuring = false;
    if (journalRowsAtMeasure >= 0 && journalRows >= 0) {
      summary.put("server_journal_rows_per_s", round(journalRows / measured));
    }
    if (chaos) {
      summary.put("chaos_events", events);
      // Let devices of the killed node reconnect and re-send their outbox before draining.
      long until = System.nanoTime() + 60_000_000_000L;
      while (System.nanoTime() < until && devices.stream().anyMatch(d -> !d.outbox.isEmpty() || !d.isOpen())) {
        reconnectClosed(devices);
        Thread.sleep(500);
      }
      summary.put("reconnects", rec.reconnects.sum());
    }
    long backlog = devices.stream().mapToLong(d -> Math.max(0, (System.nanoTime() - d.nextSendNanos) / interval)).sum();
    boolean drained = drain(fleet, chaos ? 60 : 30);
    Verifier.Result v = new Verifier(httpBase(), serviceToken).verify(fleet);

    summary.put("merchants", merchants);
    summary.put("devices", devices.size());
    summary.put("devices_connected", connected);
    summary.put("connect_seconds", round(connectSeconds));
    summary.put("offered_per_s", rate);
    summary.put("duration_s", round(measured));
    summary.put("warmup_s", warmup);
    summary.put("throughput_per_s", round(accepted / measured));
    summary.put("pushes_not_sent_at_end", backlog);
    putLatencies();
    summary.put("changes_received_per_s", round(rec.changesReceived.sum() / (measured + warmup)));
    summary.put("errors", rec.errors.sum());
    summary.put("error_kinds", errorKinds());
    summary.put("rejected", rec.rejectedMutations.sum());
    summary.put("lost", v.lost());
    summary.put("converged", v.converged() && drained);
    summary.put("divergent_devices", v.divergentDevices());
    summary.put("dropped_unacknowledged_by_last_counter", v.droppedUnacknowledged());
    summary.put("dropped_unacknowledged_absent_orders", v.droppedAndAbsentOrders());
    if (v.firstDifference() != null) notes.add("first divergent device: " + v.firstDifference());
    serverFacts();
    devices.forEach(Device::close);
  }

  /** Devices the server closed (or whose node died) reconnect to a live node and resume. */
  private void reconnectClosed(List<Device> devices) {
    List<Integer> live = new ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      if (servers.isEmpty() || servers.get(i).alive()) live.add(i);
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

  private void putLatencies() {
    summary.put("ack_p50_ms", round(Recorder.ms(rec.ackTotal, 50)));
    summary.put("ack_p99_ms", round(Recorder.ms(rec.ackTotal, 99)));
    summary.put("ack_max_ms", round(rec.ackTotal.getMaxValue() / 1000.0));
    summary.put("fanout_p50_ms", round(Recorder.ms(rec.fanoutTotal, 50)));
    summary.put("fanout_p99_ms", round(Recorder.ms(rec.fanoutTotal, 99)));
    summary.put("fanout_max_ms", round(rec.fanoutTotal.getMaxValue() / 1000.0));
  }

  private Map<String, Long> errorKinds() {
    Map<String, Long> kinds = new LinkedHashMap<>();
    rec.errorKinds.forEach((k, v) -> kinds.put(k, v.sum()));
    return kinds;
  }

  /** Events the first node has written to its journal so far (its metrics); -1 without a local node. */
  private double journalRowsWritten() {
    if (servers.isEmpty()) return -1;
    return Verifier.metrics(servers.get(0).managementPort, "lockstep_journal_events_total")
        .getOrDefault("lockstep_journal_events_total", -1.0);
  }

  /** Group-commit facts from the node's own metrics: mean events per journal write, write time. */
  private void serverFacts() {
    if (servers.isEmpty()) return;
    Map<String, Double> m = Verifier.metrics(servers.get(0).managementPort,
        "lockstep_journal_events_total", "lockstep_journal_write_seconds_count", "lockstep_journal_write_seconds_sum");
    double writes = m.getOrDefault("lockstep_journal_write_seconds_count", 0.0);
    if (writes > 0) {
      summary.put("server_journal_writes", (long) (double) writes);
      summary.put("server_events_per_write", round(m.getOrDefault("lockstep_journal_events_total", 0.0) / writes));
      summary.put("server_journal_write_mean_ms", round(1000 * m.getOrDefault("lockstep_journal_write_seconds_sum", 0.0) / writes));
    }
  }

  /**
   * Thousands of devices go offline, their merchants move on by {@code behind} changes, and all
   * devices reconnect at once; then one device catches up from far behind (journal path).
   */
  private void reconnectStorm() throws Exception {
    int behind = intOpt("behind", 1000);
    List<Merchant> fleet = createFleet("storm", intOpt("merchants", 20), intOpt("devices-per-merchant", 100), 20);
    List<Device> devices = devicesOf(fleet);
    connectAll(devices, 200);
    for (Merchant m : fleet) m.devices.get(0).pushCatalog(System.nanoTime());
    await(() -> devices.stream().allMatch(d -> d.outbox.isEmpty()), 60);
    await(() -> devices.stream().allMatch(d -> d.appliedSeq >= d.merchant.itemIds.size()), 30);
    for (Device d : devices) d.close();
    await(() -> devices.stream().allMatch(d -> d.closed.isDone()), 30);
    // One writer per merchant moves it on while its devices are away.
    List<Merchant> writers = new ArrayList<>();
    for (Merchant m : fleet) {
      Merchant w = new Merchant(m.id, 0);
      Device writer = new Device(m, "writer", tokens.mint(new DevicePrincipal(m.id, "writer")), rec);
      w.add(writer);
      m.byDeviceId.put("writer", writer);
      writers.add(w);
    }
    List<Device> writerDevices = devicesOf(writers);
    connectAll(writerDevices, 200);
    for (int sent = 0; sent < behind; sent += 100) {
      for (Device w : writerDevices) w.pushRestocks(System.nanoTime(), Math.min(100, behind - sent));
      await(() -> writerDevices.stream().allMatch(d -> d.pushesInFlight.get() < 4), 60);
    }
    await(() -> writerDevices.stream().allMatch(d -> d.outbox.isEmpty()), 120);
    writerDevices.forEach(Device::close);
    long changesBefore = rec.changesReceived.sum();
    rec.measuring = true;
    long start = System.nanoTime();
    connectAll(devices, Integer.MAX_VALUE);
    // A device whose connection failed retries (after 0.5 s), as a real one would with its backoff.
    await(() -> {
      reconnectClosed(devices);
      return devices.stream().allMatch(d -> d.caughtUp.isDone());
    }, intOpt("storm-timeout", 180));
    double seconds = (System.nanoTime() - start) / 1e9;
    rec.measuring = false;
    long caughtUp = devices.stream().filter(d -> d.caughtUp.isDone()).count();
    boolean all = caughtUp == devices.size();
    summary.put("devices_caught_up", caughtUp);
    long delivered = rec.changesReceived.sum() - changesBefore;
    summary.put("devices", devices.size());
    summary.put("merchants", fleet.size());
    summary.put("behind_changes", behind);
    summary.put("storm_seconds", round(seconds));
    summary.put("storm_all_caught_up", all);
    summary.put("throughput_per_s", round(delivered / seconds));
    summary.put("throughput_unit", "catch-up changes delivered per second, all devices");
    synchronized (rec) {
      rec.catchUpTotal.add(rec.catchUp.getIntervalHistogram());
    }
    summary.put("catchup_p50_ms", round(Recorder.ms(rec.catchUpTotal, 50)));
    summary.put("catchup_p99_ms", round(Recorder.ms(rec.catchUpTotal, 99)));
    Verifier.Result v = new Verifier(httpBase(), serviceToken).verify(fleet);
    summary.put("lost", v.lost());
    summary.put("converged", v.converged());
    devices.forEach(Device::close);

    // One device, far behind: served from the journal at the device's pace.
    int deep = intOpt("deep", 50000);
    List<Merchant> single = createFleet("deep", 1, 1, 20);
    Merchant m = single.get(0);
    Device writer = new Device(m, "writer", tokens.mint(new DevicePrincipal(m.id, "writer")), rec);
    m.add(writer);
    connectAll(List.of(writer), 1);
    writer.pushCatalog(System.nanoTime());
    for (int sent = 0; sent < deep; sent += 500) {
      writer.pushRestocks(System.nanoTime(), Math.min(500, deep - sent));
      await(() -> writer.pushesInFlight.get() < 6, 60);
    }
    await(() -> writer.outbox.isEmpty(), 120);
    writer.close();
    Device reader = m.devices.get(0);
    long before = rec.changesReceived.sum();
    long t0 = System.nanoTime();
    connectAll(List.of(reader), 1);
    boolean done = await(() -> reader.caughtUp.isDone(), 120);
    double s = (System.nanoTime() - t0) / 1e9;
    long got = rec.changesReceived.sum() - before;
    summary.put("single_device_catchup", Map.of("changes", got, "seconds", round(s),
        "changes_per_s", round(got / s), "complete", done));
    reader.close();
    summary.put("ack_p50_ms", 0);
    summary.put("ack_p99_ms", 0);
    summary.put("fanout_p50_ms", 0);
    summary.put("fanout_p99_ms", 0);
    summary.put("errors", rec.errors.sum());
    summary.put("error_kinds", errorKinds());
    notes.add("ack/fanout are not measured in reconnect-storm (no live load); see catchup_* and single_device_catchup");
  }

  /** As many idle, subscribed connections as the file-descriptor limits allow; memory per connection. */
  private void idle() throws Exception {
    int n = intOpt("devices", 15000);
    int perMerchant = intOpt("devices-per-merchant", 5);
    ServerProcess server = servers.isEmpty() ? null : servers.get(0);
    // Warm the code paths with one merchant, then measure from there.
    List<Merchant> warm = createFleet("idle-warm", 1, perMerchant, 1);
    connectAll(devicesOf(warm), 10);
    long heapBefore = server == null ? 0 : server.heapAfterGc();
    long rssBefore = server == null ? 0 : server.rssBytes();
    Runtime rt = Runtime.getRuntime();
    System.gc();
    long driverBefore = rt.totalMemory() - rt.freeMemory();
    List<Merchant> fleet = createFleet("idle", n / perMerchant, perMerchant, 1);
    List<Device> devices = devicesOf(fleet);
    double connectSeconds = connectAll(devices, 500);
    long connected = devices.stream().filter(Device::isOpen).count();
    rec.measuring = true;
    long end = System.nanoTime() + (long) (duration * 1e9);
    while (System.nanoTime() < end) {
      Thread.sleep(Math.min(30_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
      devices.forEach(Device::ping);
    }
    rec.measuring = false;
    long stillOpen = devices.stream().filter(Device::isOpen).count();
    long heapAfter = server == null ? 0 : server.heapAfterGc();
    long rssAfter = server == null ? 0 : server.rssBytes();
    System.gc();
    long driverAfter = rt.totalMemory() - rt.freeMemory();
    summary.put("devices", n);
    summary.put("devices_connected", connected);
    summary.put("devices_open_at_end", stillOpen);
    summary.put("connect_seconds", round(connectSeconds));
    summary.put("connections_per_s", round(connected / connectSeconds));
    summary.put("throughput_per_s", 0);
    summary.put("ack_p50_ms", 0);
    summary.put("ack_p99_ms", 0);
    summary.put("fanout_p50_ms", 0);
    summary.put("fanout_p99_ms", 0);
    if (connected > 0 && server != null) {
      summary.put("server_heap_bytes_per_connection", (heapAfter - heapBefore) / connected);
      summary.put("server_rss_bytes_per_connection", (rssAfter - rssBefore) / connected);
      summary.put("server_heap_after_gc_mb", heapAfter / 1_000_000);
      summary.put("server_rss_mb", rssAfter / 1_000_000);
    }
    summary.put("driver_heap_bytes_per_connection", connected == 0 ? 0 : (driverAfter - driverBefore) / connected);
    summary.put("errors", rec.errors.sum());
    summary.put("error_kinds", errorKinds());
    summary.put("lost", 0);
    summary.put("converged", stillOpen == connected);
    summary.put("fd_limit_note", "each process is limited to `ulimit -n` descriptors; driver and node each hold one per connection");
    devices.forEach(Device::close);
    devicesOf(warm).forEach(Device::close);
  }

  // ---- baselines -----------------------------------------------------------------------------

  private int samplePushBytes() {
    Mutation m = Mutation.newBuilder().setCounter(123456).setHlc(System.currentTimeMillis() << 16)
        .setAdjustStock(AdjustStock.newBuilder().setItemId("item-7").setDelta(1)).build();
    ClientFrame one = ClientFrame.newBuilder().setPush(Push.newBuilder().addMutations(m)).build();
    return one.getSerializedSize() * 2;
  }

  private void networkBaseline() throws Exception {
    int port = freePort();
    String cp = System.getProperty("java.class.path");
    Process echo = new ProcessBuilder("java", "-Xmx1g", "-cp", cp, EchoServer.class.getName(), String.valueOf(port))
        .redirectErrorStream(true).redirectOutput(out.resolve("echo.log").toFile()).start();
    try {
      await(() -> {
        try (var s = new java.net.Socket("127.0.0.1", port)) {
          return true;
        } catch (Exception e) {
          return false;
        }
      }, 30);
      int connections = Math.min(devicesPlanned(), intOpt("echo-connections", 1000));
      var r = NetworkBaseline.run(clients.get(0), URI.create("ws://127.0.0.1:" + port + "/echo"), connections,
          samplePushBytes(), 2, Math.min(10, Math.max(3, duration / 3)));
      baselines.put("network", Map.of("what", "plain WebSocket echo (Pekko HTTP, separate JVM) on this host, same client",
          "frames_per_s", round(r.framesPerSecond()), "rtt_p50_ms", round(r.rttP50Ms()), "rtt_p99_ms", round(r.rttP99Ms()),
          "connections", r.connections(), "frame_bytes", r.frameBytes(), "in_flight_per_connection", r.inFlight()));
      System.out.printf("network baseline: %.0f frames/s, rtt p50 %.2f ms p99 %.2f ms%n",
          r.framesPerSecond(), r.rttP50Ms(), r.rttP99Ms());
    } finally {
      echo.destroyForcibly();
    }
  }

  private void storageBaseline() throws Exception {
    Object perWrite = summary.get("server_events_per_write");
    int batch = perWrite instanceof Number n ? Math.max(1, (int) Math.round(n.doubleValue())) : 50;
    int merchants = summary.get("merchants") instanceof Number n ? n.intValue() : 1;
    int writers = Math.min(merchants, 10);
    long changes = Math.max(1, rec.changesReceived.sum());
    // The stored event holds the mutation and the record's resolved state, like a Change on the wire.
    int eventBytes = (int) Math.max(64, rec.changeBytesReceived.sum() / changes);
    var r = StorageBaseline.run(dbUrl, dbUser, dbPassword, batch, writers, eventBytes, Math.min(10, Math.max(3, duration / 3)));
    baselines.put("storage", Map.of("what", "JDBC batch inserts into a journal-shaped table, one transaction per batch, same database kind",
        "rows_per_s", round(r.rowsPerSecond()), "commits_per_s", round(r.commitsPerSecond()), "batch", r.batch(),
        "writers", r.writers(), "event_bytes", r.eventBytes(), "url", dbUrl.replaceAll("password=[^&]*", "password=***")));
    System.out.printf("storage baseline: %.0f rows/s (batch %d, %d writers, %d bytes)%n",
        r.rowsPerSecond(), batch, writers, eventBytes);
    if (summary.get("server_journal_rows_per_s") instanceof Number rows) {
      System.out.printf("journal (same run): %.0f rows/s = %.2f of the storage baseline%n",
          rows.doubleValue(), rows.doubleValue() / Math.max(1e-9, r.rowsPerSecond()));
    }
  }

  private void ratios() {
    Map<String, Object> ratios = new LinkedHashMap<>();
    double tp = ((Number) summary.getOrDefault("throughput_per_s", 0)).doubleValue();
    if (baselines.get("storage") instanceof Map<?, ?> s && ((Number) s.get("rows_per_s")).doubleValue() > 0) {
      ratios.put("throughput_vs_storage", round(tp / ((Number) s.get("rows_per_s")).doubleValue()));
      if (summary.get("server_journal_rows_per_s") instanceof Number rows) {
        ratios.put("journal_rows_vs_storage", round(rows.doubleValue() / ((Number) s.get("rows_per_s")).doubleValue()));
      }
    }
    if (baselines.get("network") instanceof Map<?, ?> n) {
      double frames = ((Number) n.get("frames_per_s")).doubleValue();
      double pushes = rec.pushesSent.sum() / Math.max(1.0, ((Number) summary.getOrDefault("duration_s", 1)).doubleValue());
      if (frames > 0 && "steady hot".contains(scenario)) {
        double mutationsPerPush = rec.mutationsSent.sum() / (double) Math.max(1, rec.pushesSent.sum());
        ratios.put("throughput_vs_network", round(tp / (frames * mutationsPerPush)));
      }
      double rtt = ((Number) n.get("rtt_p50_ms")).doubleValue();
      double ack = ((Number) summary.getOrDefault("ack_p50_ms", 0)).doubleValue();
      if (rtt > 0 && ack > 0) ratios.put("ack_p50_vs_echo_rtt_p50", round(ack / rtt));
      if ("reconnect-storm".equals(scenario) && frames > 0) ratios.put("catchup_changes_vs_echo_frames", round(tp / frames));
    }
    baselines.put("ratios", ratios);
  }

  static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
