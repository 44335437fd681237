package io.lockstep.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What this host lets one process hold and accept, read from {@code /proc}: the open-files limit
 * (the driver and the node each hold one descriptor per connection; the node, started by the
 * driver, inherits the driver's limit), the ephemeral port range (per source address), the listen
 * backlog and the kernel's count of connections a full listen queue refused.
 */
final class HostLimits {
  /** Descriptors a process needs besides its connections (jars, selectors, database files, logs). */
  static final int RESERVE = 1_000;

  private HostLimits() {}

  /** The open-files limit of this process: {soft, hard}; {-1, -1} where /proc has none. */
  static long[] openFiles() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          String[] f = line.substring("Max open files".length()).trim().split("\\s+");
          return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])};
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return new long[] {-1, -1};
  }

  /**
   * How many connections this process and the node it starts may each hold: the open-files limit
   * less {@link #RESERVE}; {@code Long.MAX_VALUE} where /proc does not say.
   */
  static long maxConnections() {
    long soft = openFiles()[0];
    return soft < 0 ? Long.MAX_VALUE : Math.max(0, soft - RESERVE);
  }

  /** The ephemeral port range {low, high} (net.ipv4.ip_local_port_range); Linux's default where unreadable. */
  static int[] ephemeralPorts() {
    String[] f = sysctl("net/ipv4/ip_local_port_range", "32768 60999").trim().split("\\s+");
    return new int[] {Integer.parseInt(f[0]), Integer.parseInt(f[1])};
  }

  /** Source addresses 127.0.0.2, 127.0.0.3, … enough that none carries more than half its port range. */
  static int sourcesFor(int connections) {
    int[] ports = ephemeralPorts();
    int perSource = Math.max(1, (ports[1] - ports[0] + 1) / 2);
    return Math.max(1, (connections + perSource - 1) / perSource);
  }

  static String sysctl(String path, String fallback) {
    try {
      // Not Files.readString: it trusts the size /proc reports and read "3" of "32768\t60999" here.
      return String.join(" ", Files.readAllLines(Path.of("/proc/sys/" + path))).trim();
    } catch (IOException e) {
      return fallback;
    }
  }

  /** The backlog of the socket listening on {@code port} (the Send-Q that {@code ss -ltn} shows); -1 if unknown. */
  static long listenBacklog(int port) {
    try {
      Process p = new ProcessBuilder("ss", "-Hltn", "sport = :" + port).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      String[] f = out.split("\\s+");
      return f.length >= 3 ? Long.parseLong(f[2]) : -1;
    } catch (IOException | RuntimeException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /**
   * The kernel's counters of connections refused because a listen queue was full
   * ({@code TcpExt: ListenOverflows, ListenDrops}), for the whole network namespace.
   */
  static Map<String, Long> listenOverflows() {
    Map<String, Long> counters = new LinkedHashMap<>();
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/net/netstat"));
      for (int i = 0; i + 1 < lines.size(); i++) {
        if (!lines.get(i).startsWith("TcpExt:") || !lines.get(i + 1).startsWith("TcpExt:")) continue;
        String[] names = lines.get(i).split("\\s+");
        String[] values = lines.get(i + 1).split("\\s+");
        for (int k = 1; k < names.length && k < values.length; k++) {
          if (names[k].equals("ListenOverflows") || names[k].equals("ListenDrops")) {
            counters.put(names[k], Long.parseLong(values[k]));
          }
        }
        break;
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return counters;
  }

  /** The facts above for summary.json. */
  static Map<String, Object> facts() {
    Map<String, Object> facts = new LinkedHashMap<>();
    long[] files = openFiles();
    facts.put("open_files_soft", files[0]);
    facts.put("open_files_hard", files[1]);
    facts.put("ip_local_port_range", sysctl("net/ipv4/ip_local_port_range", "?").replaceAll("\\s+", "-"));
    facts.put("somaxconn", sysctl("net/core/somaxconn", "?"));
    facts.put("tcp_max_syn_backlog", sysctl("net/ipv4/tcp_max_syn_backlog", "?"));
    facts.put("tcp_syncookies", sysctl("net/ipv4/tcp_syncookies", "?"));
    return facts;
  }
}
