package io.lockstep.load;

import io.lockstep.cluster.NetworkNamespaces;
import io.lockstep.testing.FaultyProxy;
import io.lockstep.testing.RelayProcess;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code chaos}: a local cluster of nodes on loopback sharing one PostgreSQL journal, and the one
 * fault {@code --fault} injects into it and heals:
 *
 * <pre>
 *  fault      inject                                  heal
 *  kill       SIGKILL of the last node                 start it again (same ports, new incarnation)
 *  stop       SIGSTOP of the last node (a GC pause)    SIGCONT
 *  db-stop    SIGKILL of the database relay: every     start it again on its port
 *             connection reset, new ones refused
 *  db-pause   SIGSTOP of the database relay: nothing   SIGCONT
 *             answered, connections stay open
 *  partition  iptables cut the last node off from the   the rules removed; the node, which downed
 *             others (the driver and database stay      itself meanwhile, started again
 *             reachable)
 * </pre>
 *
 * The database faults act on a relay process between the nodes and PostgreSQL ({@link
 * RelayProcess}), not on the server, which the machine shares with other databases. For
 * {@code partition} every node runs in a network namespace of its own ({@link NetworkNamespaces},
 * root only) and reaches PostgreSQL through a relay on the host's bridge address.
 */
final class ChaosFaults implements AutoCloseable {
  static final List<String> FAULTS = List.of("kill", "stop", "partition", "db-stop", "db-pause");

  final String fault;
  private final LoadRun run;
  private RelayProcess relay;
  private NetworkNamespaces network;
  private FaultyProxy bridgeRelay;
  private boolean injected;

  ChaosFaults(LoadRun run, String fault) {
    if (!FAULTS.contains(fault)) {
      throw new IllegalArgumentException("--fault " + fault + ": one of " + FAULTS);
    }
    this.run = run;
    this.fault = fault;
  }

  private ChaosFaults(LoadRun run) {
    this.run = run;
    this.fault = "none";
  }

  /** A local cluster and no fault to inject (the skew scenario's). */
  static ChaosFaults withoutFault(LoadRun run) {
    return new ChaosFaults(run);
  }

  /**
   * Every node on its own remoting, HTTP and management port, the first two as seed nodes, one
   * shared signing key and one PostgreSQL journal (through the relay for the database faults).
   */
  void startCluster(Map<String, String> serverEnv, List<URI> targets, int nodes) throws Exception {
    Map<String, String> shared = new HashMap<>(serverEnv);
    Matcher address = Pattern.compile("//([^:/]+):(\\d+)/").matcher(run.dbUrl);
    if (!address.find()) throw new IllegalArgumentException("no host:port in " + run.dbUrl);
    int databasePort = Integer.parseInt(address.group(2));
    if (fault.startsWith("db-")) {
      relay = new RelayProcess(databasePort);
      shared.put("LOCKSTEP_DB_URL", run.dbUrl.substring(0, address.start()) + "//127.0.0.1:" + relay.port() + "/"
          + run.dbUrl.substring(address.end()));
    } else if (fault.equals("partition")) {
      network = new NetworkNamespaces(nodes);
      bridgeRelay = new FaultyProxy(network.hostInetAddress(), databasePort);
      shared.put("LOCKSTEP_DB_URL", run.dbUrl.substring(0, address.start()) + "//" + network.hostAddress() + ":"
          + bridgeRelay.port() + "/" + run.dbUrl.substring(address.end()));
    }
    List<Integer> remote = new ArrayList<>();
    for (int i = 0; i < nodes; i++) remote.add(LoadRun.freePort());
    String seeds = host(0) + ":" + remote.get(0) + (nodes > 1 ? "," + host(1) + ":" + remote.get(1) : "");
    List<Map<String, Object>> described = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      Map<String, String> env = new HashMap<>(shared);
      env.put("LOCKSTEP_REMOTE_PORT", String.valueOf(remote.get(i)));
      env.put("LOCKSTEP_SEED_NODES", seeds);
      env.put("LOCKSTEP_DATA_DIR", run.out.resolve("data/node-" + (i + 1)).toString());
      int http = LoadRun.freePort();
      int device = LoadRun.freePort();
      ServerProcess server = new ServerProcess(run.jar, run.out, "node-" + (i + 1), network == null ? null : host(i),
          network == null ? List.of() : network.launcher(i), http, device, LoadRun.freePort(), env,
          run.opts.getOrDefault("server-heap", "2g"), Boolean.parseBoolean(run.opts.getOrDefault("jfr", "false")));
      run.servers.add(server.start());
      targets.add(URI.create("ws://" + host(i) + ":" + device + "/v1/devices/ws"));
      described.add(Map.of("pid", server.pid(), "http_port", http, "device_port", device, "remote_port", remote.get(i),
          "log", server.log.toString()));
    }
    for (ServerProcess s : run.servers) s.awaitReady(Duration.ofSeconds(180));
    run.summary.put("cluster", described);
  }

  private String host(int node) {
    return network == null ? "127.0.0.1" : network.address(node);
  }

  /** What {@link #inject} does, for the report. */
  String injection() {
    return switch (fault) {
      case "kill" -> "SIGKILL node " + run.servers.size();
      case "stop" -> "SIGSTOP node " + run.servers.size();
      case "db-stop" -> "SIGKILL database relay (PostgreSQL down)";
      case "partition" -> "node " + run.servers.size() + " cut off from the others";
      default -> "SIGSTOP database relay (PostgreSQL frozen)";
    };
  }

  String healing() {
    return switch (fault) {
      case "kill" -> "restarted node " + run.servers.size();
      case "stop" -> "SIGCONT node " + run.servers.size();
      case "db-stop" -> "database relay started again";
      case "partition" -> "partition healed, node " + run.servers.size() + " started again if it had stopped";
      default -> "SIGCONT database relay";
    };
  }

  void inject() {
    injected = true;
    switch (fault) {
      case "kill" -> victim().kill();
      case "stop" -> {
        RelayProcess.signal(victim().pid(), "STOP");
        victim().frozen = true;
      }
      case "db-stop" -> relay.kill();
      case "partition" -> network.isolate(run.servers.size() - 1);
      default -> relay.pause();
    }
  }

  void heal() throws Exception {
    if (!injected) return;
    injected = false;
    switch (fault) {
      case "kill" -> victim().start();
      case "stop" -> {
        RelayProcess.signal(victim().pid(), "CONT");
        victim().frozen = false;
      }
      case "db-stop" -> relay.start();
      case "partition" -> {
        network.heal(run.servers.size() - 1);
        // A cut longer than failure detection plus stable-after (~13 s) made the minority down itself and exit.
        if (!victim().alive()) victim().start();
      }
      default -> relay.resume();
    }
  }

  private ServerProcess victim() {
    return run.servers.get(run.servers.size() - 1);
  }

  /** Heals what is still broken (a stopped node cannot act on SIGTERM) and stops the relay. */
  @Override
  public void close() throws Exception {
    heal();
    if (relay != null) relay.close();
    if (network != null) {
      for (ServerProcess s : run.servers) s.close(); // before their namespaces go
      bridgeRelay.close();
      network.close();
    }
  }
}
