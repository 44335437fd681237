package io.lockstep.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * One Lockstep node in its own JVM ({@code io.lockstep.Main serve} on the test classpath), on
 * loopback ports fixed at construction so that it can be restarted under the same address.
 * Standard output and error go to {@code node-<index>.log} (appended across restarts) in the
 * harness directory, for diagnosis of a failed test.
 */
final class NodeProcess {

  private final int index;
  private final String host;
  private final List<String> launcher;
  private final int httpPort;
  private final int devicePort;
  private final int managementPort;
  private final int remotePort;
  private final Path log;
  private Process process;
  private volatile long exitedAtMillis;

  NodeProcess(int index, int httpPort, int devicePort, int managementPort, int remotePort, Path dir) {
    this(index, "127.0.0.1", List.of(), httpPort, devicePort, managementPort, remotePort, dir);
  }

  /**
   * A node bound to {@code host}, started through {@code launcher} (a command prefix such as
   * {@code ip netns exec NS}, which execs the JVM in place: its pid stays the JVM's).
   */
  NodeProcess(int index, String host, List<String> launcher, int httpPort, int devicePort, int managementPort,
      int remotePort, Path dir) {
    this.index = index;
    this.host = host;
    this.launcher = List.copyOf(launcher);
    this.httpPort = httpPort;
    this.devicePort = devicePort;
    this.managementPort = managementPort;
    this.remotePort = remotePort;
    this.log = dir.resolve("node-" + index + ".log");
  }

  /** Starts the JVM with the cluster's shared environment and system properties plus this node's ports. */
  void start(Map<String, String> sharedEnvironment, Map<String, String> properties) {
    if (isAlive()) {
      throw new IllegalStateException("node " + index + " is already running");
    }
    List<String> command = new ArrayList<>(launcher);
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx384m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-Dlogback.configurationFile=" + mainLogbackConfig());
    properties.forEach((path, value) -> command.add("-D" + path + "=" + value));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.lockstep.Main");
    command.add("serve");
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(sharedEnvironment);
    builder.environment().put("LOCKSTEP_HTTP_HOST", host);
    builder.environment().put("LOCKSTEP_HTTP_PORT", Integer.toString(httpPort));
    builder.environment().put("LOCKSTEP_DEVICE_PORT", Integer.toString(devicePort));
    builder.environment().put("LOCKSTEP_MANAGEMENT_PORT", Integer.toString(managementPort));
    builder.environment().put("LOCKSTEP_REMOTE_HOST", host);
    builder.environment().put("LOCKSTEP_MANAGEMENT_HOST", host);
    builder.environment().put("LOCKSTEP_REMOTE_PORT", Integer.toString(remotePort));
    builder.environment().put("LOCKSTEP_DATA_DIR", log.getParent().resolve("data-" + index).toString());
    builder.redirectErrorStream(true);
    builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    try {
      Files.writeString(log, "---- starting node " + index + "\n",
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
      process = builder.start();
      exitedAtMillis = 0;
      Process started = process;
      started.onExit().thenRun(() -> {
        if (process == started) exitedAtMillis = System.currentTimeMillis();
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start node " + index, e);
    }
  }

  /** SIGKILL: no coordinated shutdown, no leaving; the cluster must detect and down the node. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM: coordinated shutdown hands the node's shards off and leaves the cluster. */
  void terminate() {
    process.destroy();
  }

  /** Waits for the process to end; its exit code, or empty if it still runs after the timeout. */
  java.util.OptionalInt awaitExit(long seconds) throws InterruptedException {
    return process.waitFor(seconds, TimeUnit.SECONDS)
        ? java.util.OptionalInt.of(process.exitValue())
        : java.util.OptionalInt.empty();
  }

  /** SIGSTOP: the JVM freezes (a long GC pause); its sockets stay open, nothing is answered. */
  void pause() {
    signal("STOP");
  }

  /** SIGCONT after {@link #pause()}. */
  void resume() {
    signal("CONT");
  }

  private void signal(String name) {
    io.lockstep.testing.RelayProcess.signal(process.pid(), name);
  }

  /** Wall-clock time (epoch ms) the last started process ended; 0 while it runs. */
  long exitedAtMillis() {
    return exitedAtMillis;
  }

  boolean isAlive() {
    return process != null && process.isAlive();
  }

  int index() {
    return index;
  }

  String host() {
    return host;
  }

  int httpPort() {
    return httpPort;
  }

  int devicePort() {
    return devicePort;
  }

  int managementPort() {
    return managementPort;
  }

  int remotePort() {
    return remotePort;
  }

  /** The Pekko address the node has in the cluster. */
  String address() {
    return "pekko://lockstep@" + host + ":" + remotePort;
  }

  Path log() {
    return log;
  }

  /** The application's own logback.xml (INFO), not the quiet logback-test.xml of the test classpath. */
  private static String mainLogbackConfig() {
    URL main = Objects.requireNonNull(
        io.lockstep.Main.class.getClassLoader().getResource("logback.xml"), "logback.xml on classpath");
    return main.toString();
  }

  @Override
  public String toString() {
    return "node " + index + " (" + address() + ", http " + httpPort + ")";
  }
}
