package io.lockstep.load;

import io.lockstep.rebalance.LoadLedger;
import io.lockstep.security.OperatorPrincipal;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code skew}: three local nodes on PostgreSQL; a fleet with Zipf-distributed load (rank k gets
 * a share proportional to 1 / k of {@code --rate}) and {@code --busy} busy merchants (each at
 * {@code --busy-rate}) chosen by their shard hash to sit on one node, the one holding the most
 * shards once the Zipf fleet is placed. Runs twice in one invocation, on a fresh cluster each
 * time: with the rebalancer on, then off for comparison. Each run samples every node's load and
 * max/mean through {@code GET /lockstep/rebalance} and reports the time until max/mean is at or
 * under 1.25, the moves made, acknowledged mutations lost and convergence.
 */
final class SkewScenario {
  private static final double THRESHOLD = 1.25;
  private static final int NUMBER_OF_SHARDS = 256; // pekko.cluster.sharding.number-of-shards
  private static final long SAMPLE_NANOS = 5_000_000_000L;
  private final LoadRun run;

  SkewScenario(LoadRun run) {
    this.run = run;
  }

  void run() throws Exception {
    double seconds = Double.parseDouble(run.opts.getOrDefault("duration", "180"));
    Map<String, Object> runs = new LinkedHashMap<>();
    Map<String, Object> charts = new LinkedHashMap<>();
    for (String mode : List.of("on", "off")) {
      RebalanceWatch watch = phase(mode, seconds, runs);
      charts.put("rebalancer " + mode, watch.timeline());
    }
    run.summary.put("threshold", THRESHOLD);
    run.summary.put("runs", runs);
    run.summary.put("node_load_charts", charts);
    Map<?, ?> on = (Map<?, ?>) runs.get("rebalancer_on");
    Map<?, ?> off = (Map<?, ?>) runs.get("rebalancer_off");
    run.summary.put("seconds_to_within_1_25", on.get("seconds_to_within_1_25"));
    run.summary.put("seconds_to_within_1_25_rebalancer_off", off.get("seconds_to_within_1_25"));
    run.summary.put("moves", on.get("moves"));
    run.summary.put("lost", (Long) on.get("lost") + (Long) off.get("lost"));
    run.summary.put("converged", Boolean.TRUE.equals(on.get("converged")) && Boolean.TRUE.equals(off.get("converged")));
  }

  /** One run on a fresh cluster with the rebalancer {@code mode} ("on" or "off"). */
  private RebalanceWatch phase(String mode, double seconds, Map<String, Object> runs) throws Exception {
    Map<String, String> env = Map.of("LOCKSTEP_REBALANCE_ENABLED", mode,
        "LOCKSTEP_REBALANCE_INTERVAL", run.opts.getOrDefault("rebalance-interval", "30s"));
    run.startCluster(3, env);
    RebalanceWatch watch = new RebalanceWatch(run.servers.get(0).managementPort,
        run.tokens.mint(new OperatorPrincipal("load-test")));
    if (!LoadRun.await(() -> watch.read().getNodesCount() == 3, 120)) {
      throw new IllegalStateException("the rebalancer does not see three nodes: " + watch.last());
    }
    int perMerchant = run.intOpt("devices-per-merchant", 3);
    List<Merchant> zipf = run.createFleet("skew-" + mode + "-zipf", run.intOpt("merchants", 60), perMerchant, 5);
    connectFirstDevicesRoundRobin(zipf);
    String hot = nodeWithMostShards(watch.shardOwners());
    List<Merchant> busy = busyMerchantsOn(hot, watch.shardOwners(), mode, perMerchant);
    connectFirstDevicesRoundRobin(busy);
    List<Merchant> fleet = new ArrayList<>(zipf);
    fleet.addAll(busy);
    List<Device> devices = LoadRun.devicesOf(fleet);
    for (Merchant m : fleet) m.devices.get(0).pushCatalog(System.nanoTime());
    LoadRun.await(() -> devices.stream().allMatch(d -> d.outbox.isEmpty()), 60);
    System.out.printf("skew, rebalancer %s: %d Zipf merchants, %d busy ones on %s, %d devices%n",
        mode, zipf.size(), busy.size(), hot, devices.size());

    long errorsBefore = run.rec.errors.sum();
    long rejectedBefore = run.rec.rejectedMutations.sum();
    long ackedBefore = run.rec.acceptedMutations.sum();
    long[] intervals = intervals(zipf, busy);
    run.rec.measuring = true;
    long start = drive(devices, intervals, seconds, watch);
    run.rec.measuring = false;
    double loadSeconds = (System.nanoTime() - start) / 1e9;
    long acked = run.rec.acceptedMutations.sum() - ackedBefore;
    boolean drained = run.drain(fleet, 60);
    Verifier.Result verified = new Verifier(run.httpBase(), run.serviceToken).verify(fleet);
    watch.sample((System.nanoTime() - start) / 1e9);

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("rebalancer", mode);
    result.put("cluster", run.summary.remove("cluster"));
    result.put("hot_node", hot);
    result.put("merchants_zipf", zipf.size());
    result.put("merchants_busy", busy.size());
    result.put("devices", devices.size());
    result.put("offered_mutations_per_s", run.intOpt("rate", 100) + busy.size() * run.intOpt("busy-rate", 25));
    result.put("load_seconds", LoadRun.round(loadSeconds));
    result.put("acked_mutations_per_s", LoadRun.round(acked / loadSeconds));
    result.put("max_imbalance", LoadRun.round(watch.maxImbalance()));
    double within = watch.firstWithin(THRESHOLD);
    result.put("seconds_to_within_1_25", within < 0 ? "never" : LoadRun.round(within));
    result.put("share_of_samples_within_1_25_after", within < 0 ? 0 : LoadRun.round(watch.shareWithin(THRESHOLD, within)));
    result.put("final_imbalance", LoadRun.round(watch.last().getImbalance()));
    result.put("moves", watch.last().getHistoryCount());
    result.put("last_round", watch.last().getLastRound());
    result.put("lost", verified.lost());
    result.put("converged", verified.converged() && drained);
    result.put("divergent_devices", verified.divergentDevices());
    result.put("errors", run.rec.errors.sum() - errorsBefore);
    result.put("rejected", run.rec.rejectedMutations.sum() - rejectedBefore);
    runs.put("rebalancer_" + mode, result);
    String chart = watch.textChart(10);
    Files.writeString(run.out.resolve("node-load-rebalancer-" + mode + ".txt"), chart);
    System.out.print("node load (load units /s), rebalancer " + mode + ":\n" + chart);
    System.out.println(Report.json(result));

    devices.forEach(Device::close);
    for (ServerProcess s : run.servers) s.close();
    run.servers.clear();
    run.targets.clear();
    return watch;
  }

  /**
   * Each merchant's first device connects first, merchant by merchant over the nodes in turn: a
   * shard with no location yet starts on the node that first asks for it (rebalancer on), so the
   * Zipf fleet spreads evenly; then the other devices.
   */
  private void connectFirstDevicesRoundRobin(List<Merchant> merchants) {
    List<Device> first = merchants.stream().map(m -> m.devices.get(0)).toList();
    run.connectAll(first, 200);
    List<Device> rest = merchants.stream().flatMap(m -> m.devices.stream().skip(1)).toList();
    run.connectAll(rest, 200);
  }

  private static String nodeWithMostShards(Map<String, String> owners) {
    Map<String, Integer> counts = new java.util.TreeMap<>();
    owners.values().forEach(node -> counts.merge(node, 1, Integer::sum));
    return counts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
  }

  /** Busy merchants, each in its own shard that {@code node} already hosts: chosen by the shard hash. */
  private List<Merchant> busyMerchantsOn(String node, Map<String, String> owners, String mode, int perMerchant) {
    int wanted = run.intOpt("busy", 6);
    Set<Integer> taken = new HashSet<>();
    List<Merchant> busy = new ArrayList<>();
    for (int i = 0; busy.size() < wanted && i < 10_000; i++) {
      Merchant candidate = run.createFleet("skew-" + mode + "-busy-" + i, 1, perMerchant, 5).get(0);
      int shard = LoadLedger.shardOf(candidate.id, NUMBER_OF_SHARDS);
      if (node.equals(owners.get(Integer.toString(shard))) && taken.add(shard)) busy.add(candidate);
    }
    if (busy.size() < wanted) throw new IllegalStateException("only " + busy.size() + " busy merchants fit on " + node);
    return busy;
  }

  /** Nanoseconds between two pushes of each device, in the order of {@link LoadRun#devicesOf}. */
  private long[] intervals(List<Merchant> zipf, List<Merchant> busy) {
    double rate = run.intOpt("rate", 100);
    double harmonic = 0;
    for (int k = 1; k <= zipf.size(); k++) harmonic += 1.0 / k;
    List<Long> out = new ArrayList<>();
    for (int k = 0; k < zipf.size(); k++) {
      double merchantRate = rate / (k + 1) / harmonic;
      for (int d = 0; d < zipf.get(k).devices.size(); d++) out.add((long) (zipf.get(k).devices.size() * 1e9 / merchantRate));
    }
    double busyRate = run.intOpt("busy-rate", 25);
    for (Merchant m : busy) for (int d = 0; d < m.devices.size(); d++) out.add((long) (m.devices.size() * 1e9 / busyRate));
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  /** Open-loop stock adjustments at each device's interval for {@code seconds}, sampling the loads; returns the start. */
  private long drive(List<Device> devices, long[] intervals, double seconds, RebalanceWatch watch) throws Exception {
    int maxInFlight = run.intOpt("max-in-flight", 8);
    long start = System.nanoTime();
    for (int i = 0; i < devices.size(); i++) devices.get(i).nextSendNanos = start + (intervals[i] * i / devices.size());
    long end = start + (long) (seconds * 1e9);
    long nextSample = start;
    long nextReconnectScan = start;
    while (System.nanoTime() < end) {
      long now = System.nanoTime();
      if (now >= nextReconnectScan) {
        run.reconnectClosed(devices); // devices of a moved merchant were told unavailable
        nextReconnectScan = now + 500_000_000L;
      }
      if (now >= nextSample) {
        watch.sample((now - start) / 1e9);
        nextSample += SAMPLE_NANOS;
      }
      for (int i = 0; i < devices.size(); i++) {
        Device d = devices.get(i);
        while (d.nextSendNanos <= now && d.pushesInFlight.get() < maxInFlight && d.isOpen()) {
          d.pushAdjustStock(d.nextSendNanos);
          d.nextSendNanos += intervals[i];
        }
      }
      Thread.sleep(2);
    }
    return start;
  }
}
