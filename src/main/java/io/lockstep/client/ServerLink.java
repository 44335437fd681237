package io.lockstep.client;

import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Ping;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keeps one connection to the server: opens a {@link WebSocketTransport}, drops it on a fault and
 * reconnects after a jittered backoff delay, pings it, and drops one that is silent for two ping
 * intervals or not welcomed within the connect timeout. What the frames mean is the
 * {@link Protocol}'s business. Runs on the client's event thread only.
 */
final class ServerLink implements WebSocketTransport.Events {

  /** How long {@link #close()} lets the server answer the close frame before the socket is cut. */
  static final Duration CLOSE_BOUND = Duration.ofSeconds(1);

  /** What the link tells the protocol above it; called on the event thread. */
  interface Protocol {
    /** {@code c} is open: say Hello. */
    void onOpen(Connection c);

    void onFrame(Connection c, byte[] frame);

    /** {@code c} sent a frame over the bound; the protocol drops it. */
    void onOversize(Connection c, int maxFrameBytes);

    void onState(ConnectionState state, String detail);
  }

  private final ClientConfig config;
  private final HttpClient http;
  private final ScheduledExecutorService eventThread;
  private final Protocol protocol;
  private final ReconnectBackoff backoff;
  private Connection connection;
  private boolean started;
  private boolean stopped; // failed or closed: never reconnects
  private ScheduledFuture<?> retryTask;
  private ScheduledFuture<?> tickTask;

  ServerLink(ClientConfig config, HttpClient http, ScheduledExecutorService eventThread,
      Protocol protocol) {
    this.config = config;
    this.http = http;
    this.eventThread = eventThread;
    this.protocol = protocol;
    this.backoff = new ReconnectBackoff(config.minBackoff(), config.maxBackoff(), config.random());
  }

  /** Starts connecting; idempotent. */
  void start() {
    if (started || stopped) {
      return;
    }
    started = true;
    long period = Math.max(50, Math.min(config.pingInterval().toMillis(),
        config.connectTimeout().toMillis()) / 2);
    tickTask = eventThread.scheduleWithFixedDelay(this::tick, period, period, TimeUnit.MILLISECONDS);
    connect();
  }

  /** Closes the connection with a close frame (cut after {@link #CLOSE_BOUND}); no reconnect. */
  void close() {
    stopped = true;
    cancel(retryTask);
    cancel(tickTask);
    if (connection != null) {
      connection.transport.close(CLOSE_BOUND);
      connection = null;
    }
  }

  /** The current connection, or null. */
  Connection current() {
    return connection;
  }

  /** The connection is healthy: the next fault starts the backoff from its minimum. */
  void resetBackoff() {
    backoff.reset();
  }

  private void connect() {
    retryTask = null;
    if (!started || stopped) {
      return;
    }
    protocol.onState(ConnectionState.CONNECTING, "connecting to " + config.serverUri());
    connection = new Connection(WebSocketTransport.open(http, config.serverUri(),
        config.connectTimeout(), config.maxFrameBytes(), eventThread, this));
  }

  /**
   * Ends {@code c} if it is the current connection; unless {@code retry} is false (then FAILED),
   * reconnects after a backoff delay, never sooner than {@code retryAfter} (the server's word).
   */
  void drop(Connection c, String reason, boolean retry, Duration retryAfter) {
    if (c == null || c != connection) {
      return;
    }
    connection = null;
    c.transport.abort();
    if (!retry) {
      stopped = true;
      protocol.onState(ConnectionState.FAILED, reason);
      return;
    }
    Duration backoffDelay = backoff.next();
    Duration delay = backoffDelay.compareTo(retryAfter) < 0 ? retryAfter : backoffDelay;
    protocol.onState(ConnectionState.RETRYING, reason + "; retrying in " + delay.toMillis() + " ms");
    retryTask = eventThread.schedule(this::connect, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  void drop(Connection c, String reason) {
    drop(c, reason, true, Duration.ZERO);
  }

  private void tick() {
    Connection c = connection;
    if (c == null) {
      return;
    }
    long now = System.nanoTime();
    if (!c.welcomed) {
      if (now - c.openedNanos > config.connectTimeout().toNanos()) {
        drop(c, "no Welcome within " + config.connectTimeout());
      }
      return;
    }
    long ping = config.pingInterval().toNanos();
    if (now - c.lastHeardNanos > 2 * ping) {
      drop(c, "server silent for " + Duration.ofNanos(now - c.lastHeardNanos).toMillis() + " ms");
    } else if (now - c.lastPingNanos >= ping) {
      c.lastPingNanos = now;
      c.transport.send(ClientFrame.newBuilder()
          .setPing(Ping.newBuilder().setNonce(++c.pingNonce)).build());
    }
  }

  // ---- transport events ----------------------------------------------------------------------

  @Override
  public void onOpened(WebSocketTransport t, Throwable error) {
    Connection c = of(t);
    if (c == null) {
      t.abort(); // given up on while it opened
    } else if (error != null) {
      drop(c, "cannot connect: " + WebSocketTransport.rootMessage(error));
    } else {
      protocol.onOpen(c);
    }
  }

  @Override
  public void onFrame(WebSocketTransport t, byte[] frame) {
    Connection c = of(t);
    if (c != null) {
      c.lastHeardNanos = System.nanoTime();
      protocol.onFrame(c, frame);
    }
  }

  @Override
  public void onOversize(WebSocketTransport t) {
    Connection c = of(t);
    if (c != null) {
      protocol.onOversize(c, config.maxFrameBytes());
    }
  }

  @Override
  public void onEnded(WebSocketTransport t, String reason) {
    drop(of(t), reason);
  }

  /** The connection of {@code t} if it is the current one, else null. */
  private Connection of(WebSocketTransport t) {
    return connection != null && connection.transport == t ? connection : null;
  }

  private static void cancel(ScheduledFuture<?> task) {
    if (task != null) {
      task.cancel(false);
    }
  }
}
