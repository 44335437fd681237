package io.lockstep.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * One network namespace per node, each joined to a bridge in the host's namespace by a veth
 * pair, on a /24 of 10.231.x.0 that the constructor picks, assigns and {@link #close()} removes
 * again:
 *
 * <pre>
 *   host namespace: bridge &lt;id&gt;br  10.231.x.1   (test JVM, database relay)
 *     ├── veth &lt;id&gt;h0 ═══ &lt;id&gt;n0  in namespace &lt;id&gt;-0   10.231.x.10
 *     ├── veth &lt;id&gt;h1 ═══ &lt;id&gt;n1  in namespace &lt;id&gt;-1   10.231.x.11
 *     └── …
 * </pre>
 *
 * {@link #isolate} cuts one namespace from the others with iptables rules inside it (the host,
 * and so the test's devices and the database, stay reachable); {@link #heal} removes them.
 * Needs root (CAP_NET_ADMIN), iproute2 and iptables; without them the constructor fails, naming
 * the command that could not run. ({@code tc netem} does not work in this kernel, hence iptables.)
 * Public for {@code load-tests/run chaos --fault partition}.
 */
public final class NetworkNamespaces implements ProcessCluster.Placement, AutoCloseable {
  static final String NEEDS =
      "the partition tests need root (CAP_NET_ADMIN), iproute2 ('ip netns') and iptables; .ci/run runs as root "
          + "and installs iptables where missing";

  private final String id;
  private final int subnet;
  private final int size;
  private final List<String> created = new ArrayList<>();
  private boolean bridgeCreated;

  public NetworkNamespaces(int size) {
    Random random = new Random();
    this.id = "lsf" + Integer.toString(1000 + random.nextInt(9000));
    this.subnet = freeSubnet(random);
    this.size = size;
    try {
      run("ip", "link", "add", bridge(), "type", "bridge");
      bridgeCreated = true;
      run("ip", "addr", "add", hostAddress() + "/24", "dev", bridge());
      run("ip", "link", "set", bridge(), "up");
      for (int i = 0; i < size; i++) {
        run("ip", "netns", "add", namespace(i));
        created.add(namespace(i));
        run("ip", "link", "add", id + "h" + i, "type", "veth", "peer", "name", id + "n" + i);
        run("ip", "link", "set", id + "h" + i, "master", bridge());
        run("ip", "link", "set", id + "h" + i, "up");
        run("ip", "link", "set", id + "n" + i, "netns", namespace(i));
        inside(i, "ip", "addr", "add", address(i) + "/24", "dev", id + "n" + i);
        inside(i, "ip", "link", "set", id + "n" + i, "up");
        inside(i, "ip", "link", "set", "lo", "up");
        inside(i, "iptables", "-L", "-n"); // fails here, not at the cut, when iptables is missing
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** The host's address on the bridge: what the nodes reach the test and the database relay at. */
  public String hostAddress() {
    return "10.231." + subnet + ".1";
  }

  public InetAddress hostInetAddress() {
    try {
      return InetAddress.getByName(hostAddress());
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String host(int node) {
    return address(node);
  }

  public String address(int node) {
    return "10.231." + subnet + "." + (10 + node);
  }

  /** The command prefix that runs a program inside namespace {@code node}. */
  @Override
  public List<String> launcher(int node) {
    return List.of("ip", "netns", "exec", namespace(node));
  }

  /** Drops every packet between {@code node} and the other nodes, both ways; the host stays reachable. */
  public void isolate(int node) {
    for (int other = 0; other < size; other++) {
      if (other == node) continue;
      inside(node, "iptables", "-A", "INPUT", "-s", address(other), "-j", "DROP");
      inside(node, "iptables", "-A", "OUTPUT", "-d", address(other), "-j", "DROP");
    }
  }

  /** Removes the rules of {@link #isolate}. */
  public void heal(int node) {
    inside(node, "iptables", "-F", "INPUT");
    inside(node, "iptables", "-F", "OUTPUT");
  }

  /** Removes the namespaces (with their veth pairs) and the bridge; safe to call more than once. */
  @Override
  public void close() {
    for (String namespace : List.copyOf(created)) {
      quietly("ip", "netns", "del", namespace);
      created.remove(namespace);
    }
    if (bridgeCreated) {
      quietly("ip", "link", "del", bridge());
      bridgeCreated = false;
    }
  }

  /** A third octet no interface of the host uses yet (another run's bridge, a real network). */
  private static int freeSubnet(Random random) {
    String inUse = output("ip", "-o", "addr", "show");
    for (int attempt = 0; attempt < 50; attempt++) {
      int candidate = 1 + random.nextInt(250);
      if (!inUse.contains(" 10.231." + candidate + ".")) return candidate;
    }
    throw new IllegalStateException("no free 10.231.x.0/24 on this host: " + inUse);
  }

  private String bridge() {
    return id + "br";
  }

  private String namespace(int node) {
    return id + "-" + node;
  }

  private void inside(int node, String... command) {
    List<String> full = new ArrayList<>(launcher(node));
    full.addAll(List.of(command));
    run(full.toArray(String[]::new));
  }

  private static void run(String... command) {
    output(command);
  }

  private static String output(String... command) {
    String output;
    int code;
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("'" + String.join(" ", command) + "' did not finish within 30 s; " + NEEDS);
      }
      code = process.exitValue();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run '" + String.join(" ", command) + "': " + e.getMessage() + "; " + NEEDS, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    if (code != 0) {
      throw new IllegalStateException("'" + String.join(" ", command) + "' failed (exit " + code + "): " + output + "; " + NEEDS);
    }
    return output;
  }

  private static void quietly(String... command) {
    try {
      run(command);
    } catch (RuntimeException e) {
      System.err.println("network namespace clean-up: " + e.getMessage());
    }
  }
}
