package io.lockstep.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Lockstep node in its own JVM ({@code java -jar target/lockstep.jar serve}), so that its CPU
 * is measured apart from the driver's. Optionally recorded with JFR.
 */
final class ServerProcess implements AutoCloseable {
  /** The address the node binds and is reached at (loopback unless it runs in a network namespace). */
  final String host;
  final int httpPort;
  final int devicePort;
  final int managementPort;
  final Path log;
  final Path jfr;
  private final List<String> command;
  private final boolean ownHost;
  private final Map<String, String> env;
  private Process process;
  /**
   * Set while chaos holds the node in SIGSTOP. Devices reconnect to other nodes meanwhile: a real
   * device's connect attempt to a frozen node times out and it tries the next; the driver's own
   * connect timeout (30 s) would hold it far longer.
   */
  volatile boolean frozen;

  ServerProcess(Path jar, Path dir, String name, int httpPort, int devicePort, int managementPort,
      Map<String, String> env, String heap, boolean recordJfr) {
    this(jar, dir, name, null, List.of(), httpPort, devicePort, managementPort, env, heap, recordJfr);
  }

  /**
   * A node bound to {@code host} (null: the defaults, reached on loopback), started through
   * {@code launcher} (a command prefix such as {@code ip netns exec NS}, which execs the JVM in place).
   */
  ServerProcess(Path jar, Path dir, String name, String host, List<String> launcher, int httpPort, int devicePort,
      int managementPort, Map<String, String> env, String heap, boolean recordJfr) {
    this.host = host == null ? "127.0.0.1" : host;
    this.ownHost = host != null;
    this.httpPort = httpPort;
    this.devicePort = devicePort;
    this.managementPort = managementPort;
    this.log = dir.resolve(name + ".log");
    this.jfr = recordJfr ? dir.resolve(name + ".jfr") : null;
    this.env = env;
    command = new ArrayList<>(launcher);
    command.addAll(List.of("java", "-Xms" + heap, "-Xmx" + heap));
    // The node's GC flags, as k8s/deployment.yaml sets them (LOCKSTEP_LOAD_SERVER_JAVA_OPTS overrides).
    String gc = System.getenv().getOrDefault("LOCKSTEP_LOAD_SERVER_JAVA_OPTS", "-XX:MaxGCPauseMillis=20");
    for (String option : gc.trim().split("\\s+")) if (!option.isEmpty()) command.add(option);
    // LOCKSTEP_LOAD_JFR_SETTINGS: another .jfc (e.g. profile.jfc with a shorter sampling period).
    String settings = System.getenv().getOrDefault("LOCKSTEP_LOAD_JFR_SETTINGS", "profile");
    if (recordJfr) command.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=" + settings + ",dumponexit=true");
    command.addAll(List.of("-jar", jar.toString(), "serve"));
  }

  /** Starts the process (again, after {@link #kill()}: same ports, same data). */
  ServerProcess start() throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    builder.environment().put("LOCKSTEP_HTTP_PORT", String.valueOf(httpPort));
    builder.environment().put("LOCKSTEP_DEVICE_PORT", String.valueOf(devicePort));
    builder.environment().put("LOCKSTEP_MANAGEMENT_PORT", String.valueOf(managementPort));
    if (ownHost) {
      builder.environment().put("LOCKSTEP_HTTP_HOST", host);
      builder.environment().put("LOCKSTEP_REMOTE_HOST", host);
      builder.environment().put("LOCKSTEP_MANAGEMENT_HOST", host);
    }
    process = builder.start();
    return this;
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  /** Alive and not frozen: where a reconnecting device can get an answer. */
  boolean reachable() {
    return alive() && !frozen;
  }

  /** Waits until the management port answers /ready with 200. */
  void awaitReady(Duration timeout) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) throw new IllegalStateException("node exited; see " + log);
      try {
        var response = http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + managementPort + "/ready"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) return;
      } catch (IOException e) {
        // not bound yet
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("node not ready within " + timeout + "; see " + log);
  }

  /** CPU seconds used so far (user + system), from /proc. */
  double cpuSeconds() {
    return procCpuSeconds(process.pid());
  }

  static double procCpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** Resident set size in bytes, from /proc. */
  long rssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
        if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    } catch (IOException e) {
      // gone
    }
    return 0;
  }

  /** Heap in use after a full GC, via jcmd (bytes). */
  long heapAfterGc() throws Exception {
    jcmd("GC.run");
    String info = jcmd("GC.heap_info");
    long used = 0;
    var m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(info);
    // The first "used" is the whole heap (G1: "garbage-first heap total …, used …K").
    if (m.find()) used = Long.parseLong(m.group(1)) * 1024;
    return used;
  }

  String jcmd(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("jcmd", String.valueOf(pid())));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    return out;
  }

  /** SIGKILL: the node gets no chance to leave the cluster. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (process == null || !process.isAlive()) return;
    process.destroy();
    try {
      if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
