package io.lockstep.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on loopback between a client and a server, for fault injection: it can cut the next
 * connection after a number of bytes in either direction (mid-frame) and hold the client's bytes
 * back while letting the server's through.
 */
final class TcpRelay implements AutoCloseable {

  private final ServerSocket listener;
  private final int targetPort;
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicLong cutUpstreamAfter = new AtomicLong(-1);
  private final AtomicLong cutDownstreamAfter = new AtomicLong(-1);
  private volatile boolean holdUpstream;
  private volatile boolean closed;

  TcpRelay(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "tcp-relay-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  int connections() {
    return connections.get();
  }

  /** The next connection is cut once the client sent {@code bytes} bytes through it. */
  void cutNextUpstreamAfter(long bytes) {
    cutUpstreamAfter.set(bytes);
  }

  /** The next connection is cut once the server sent {@code bytes} bytes through it. */
  void cutNextDownstreamAfter(long bytes) {
    cutDownstreamAfter.set(bytes);
  }

  /** While held, the client's bytes wait in the relay; the server's still pass. */
  void holdUpstream(boolean hold) {
    holdUpstream = hold;
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        connections.incrementAndGet();
        long up = cutUpstreamAfter.getAndSet(-1);
        long down = up >= 0 ? -1 : cutDownstreamAfter.getAndSet(-1);
        pump(client, server, up, true);
        pump(server, client, down, false);
      } catch (IOException e) {
        if (!closed) {
          throw new IllegalStateException(e);
        }
      }
    }
  }

  private void pump(Socket from, Socket to, long cutAfter, boolean upstream) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[512];
      long sent = 0;
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          while (upstream && holdUpstream && !closed) {
            Thread.sleep(10);
          }
          int allowed = cutAfter >= 0 ? (int) Math.min(n, cutAfter - sent) : n;
          out.write(buffer, 0, allowed);
          out.flush();
          sent += allowed;
          if (cutAfter >= 0 && sent >= cutAfter) {
            break; // cut: possibly in the middle of a frame
          }
        }
      } catch (IOException | InterruptedException e) {
        // the other direction closed the sockets
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "tcp-relay-" + (upstream ? "up" : "down"));
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
  public void close() throws IOException {
    closed = true;
    listener.close();
  }
}
