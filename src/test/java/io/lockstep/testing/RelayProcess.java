package io.lockstep.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A TCP relay in front of a loopback server (PostgreSQL), in a process of its own ({@link
 * FaultyProxy#main}), for faults that act on a real process: {@link #pause()} is a real SIGSTOP
 * (the kernel still completes connections into its backlog and buffers bytes, nothing is
 * answered: a frozen server), {@link #kill()} a SIGKILL (every connection reset, new ones refused:
 * a server that is down), {@link #start()} brings it back on the same port.
 *
 * <p>Why a relay and not the PostgreSQL server itself: the server is shared by every database on
 * the machine, and a backend stopped while it holds one of the server's shared locks (a WAL
 * insert or buffer lock) freezes every database of that server, not only the test's.
 */
public final class RelayProcess implements AutoCloseable {
  private final int port;
  private final int targetPort;
  private Process process;

  public RelayProcess(int targetPort) {
    this.targetPort = targetPort;
    try (ServerSocket probe = new ServerSocket(0)) {
      this.port = probe.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    start();
  }

  /** The loopback port the relay listens on. */
  public int port() {
    return port;
  }

  /** Starts the relay process (again after {@link #kill()}) and waits until it listens. */
  public void start() {
    List<String> command = List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        FaultyProxy.class.getName(), Integer.toString(port), Integer.toString(targetPort));
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      if (line == null || !line.startsWith("ready")) {
        process.destroyForcibly();
        throw new IllegalStateException("the relay did not start: " + line);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SIGSTOP: the database looks frozen. */
  public void pause() {
    signal("STOP");
  }

  /** SIGCONT after {@link #pause()}. */
  public void resume() {
    signal("CONT");
  }

  /** SIGKILL: the database looks down; {@link #start()} brings it back. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Sends SIGname to {@code pid} with kill(1): Java has no API for SIGSTOP and SIGCONT. */
  public static void signal(long pid, String name) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
      if (kill.waitFor() != 0) throw new IllegalStateException("kill -" + name + " " + pid + " failed");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void signal(String name) {
    signal(process.pid(), name);
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) kill(); // SIGKILL ends a stopped process too
  }
}
