package io.lockstep.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on loopback in front of a server (a database), for fault injection:
 * {@link #stop()} closes every connection and refuses new ones (the server is down),
 * {@link #pause()} keeps the connections but lets no byte through in either direction (the
 * server is frozen, like {@code SIGSTOP}), {@link #heal()} ends either.
 */
public final class FaultyProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean stopped;
  private volatile boolean paused;
  private volatile boolean closed;

  public FaultyProxy(int targetPort) {
    this(InetAddress.getLoopbackAddress(), targetPort);
  }

  /** A proxy listening on {@code bind} (any free port) for the loopback server at {@code targetPort}. */
  public FaultyProxy(InetAddress bind, int targetPort) {
    this(bind, 0, targetPort);
  }

  private FaultyProxy(InetAddress bind, int port, int targetPort) {
    this.targetPort = targetPort;
    try {
      this.listener = new ServerSocket();
      listener.setReuseAddress(true); // a relay restarted on its port must not wait for TIME_WAIT
      listener.bind(new java.net.InetSocketAddress(bind, port), 200);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Thread acceptor = new Thread(this::accept, "faulty-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * {@code FaultyProxy PORT TARGET_PORT}: a relay on loopback PORT for the server at TARGET_PORT,
   * in a process of its own, so that a test can freeze it with SIGSTOP or kill it ({@link
   * RelayProcess}). Prints {@code ready} once it listens; runs until killed.
   */
  public static void main(String[] args) throws InterruptedException {
    try (FaultyProxy relay = new FaultyProxy(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]),
        Integer.parseInt(args[1]))) {
      System.out.println("ready " + relay.port());
      System.out.flush();
      Thread.currentThread().join();
    }
  }

  public int port() {
    return listener.getLocalPort();
  }

  /** The server is down: open connections are cut, new ones closed at once. */
  public void stop() {
    stopped = true;
    sockets.forEach(FaultyProxy::closeQuietly);
  }

  /** The server is frozen: connections stay open, nothing passes. */
  public void pause() {
    paused = true;
  }

  public void heal() {
    stopped = false;
    paused = false;
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      if (stopped) {
        closeQuietly(client);
        continue;
      }
      try {
        Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        sockets.add(client);
        sockets.add(server);
        pump(client, server);
        pump(server, client);
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[8192];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          while (paused && !stopped && !closed) Thread.sleep(5);
          if (stopped || closed) break;
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException | InterruptedException e) {
        // cut
      } finally {
        closeQuietly(from);
        closeQuietly(to);
        sockets.remove(from);
        sockets.remove(to);
      }
    }, "faulty-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() {
    closed = true;
    sockets.forEach(FaultyProxy::closeQuietly);
    try {
      listener.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
