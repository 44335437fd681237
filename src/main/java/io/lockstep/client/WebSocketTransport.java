package io.lockstep.client;

import io.lockstep.protocol.v1.ClientFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One WebSocket connection attempt to the server, binary frames only. Its JDK callbacks run on
 * HTTP client threads and only post {@link Events} to the event thread; the next frame is
 * requested after the previous one was handled, so a busy client slows the server's sending
 * instead of buffering without bound. A frame over {@code maxFrameBytes} is refused before it is
 * buffered, however it is fragmented.
 */
final class WebSocketTransport implements WebSocket.Listener {

  /** What the protocol hears of a transport; every call runs on the event thread. */
  interface Events {
    /** The socket is open ({@code error} null) or could not be opened. */
    void onOpened(WebSocketTransport transport, Throwable error);

    void onFrame(WebSocketTransport transport, byte[] frame);

    /** A frame over the bound arrived; nothing more is read from this socket. */
    void onOversize(WebSocketTransport transport);

    /** The socket closed or failed, or a send failed. */
    void onEnded(WebSocketTransport transport, String reason);
  }

  private final Executor eventThread;
  private final Events events;
  private final FrameAssembler assembler;
  // The socket is set on an HTTP client thread; the rest runs on the event thread.
  private volatile WebSocket socket;
  private volatile boolean ended;
  private CompletableFuture<?> sending = CompletableFuture.completedFuture(null);

  private WebSocketTransport(Executor eventThread, Events events, int maxFrameBytes) {
    this.eventThread = eventThread;
    this.events = events;
    this.assembler = new FrameAssembler(maxFrameBytes);
  }

  /** Starts opening a socket to {@code uri}; {@link Events#onOpened} tells how it went. */
  static WebSocketTransport open(HttpClient http, URI uri, Duration connectTimeout,
      int maxFrameBytes, Executor eventThread, Events events) {
    WebSocketTransport t = new WebSocketTransport(eventThread, events, maxFrameBytes);
    http.newWebSocketBuilder().connectTimeout(connectTimeout).buildAsync(uri, t)
        .whenComplete((socket, error) -> t.opened(socket, error));
    return t;
  }

  private void opened(WebSocket ws, Throwable error) {
    if (ended) {
      if (ws != null) {
        ws.abort(); // given up on before it opened
      }
      return;
    }
    socket = ws;
    post(() -> events.onOpened(this, error));
  }

  /** Queues a frame; the JDK socket takes one send at a time. A failed send ends the transport. */
  void send(ClientFrame frame) {
    WebSocket ws = socket;
    byte[] bytes = frame.toByteArray();
    sending = sending
        .thenCompose(ignored -> ws.sendBinary(ByteBuffer.wrap(bytes), true))
        .whenComplete((ignored, error) -> {
          if (error != null) {
            post(() -> events.onEnded(this, "send failed: " + rootMessage(error)));
          }
        });
  }

  /** Cuts the socket at once; nothing more is heard of this transport. */
  void abort() {
    ended = true;
    WebSocket ws = socket;
    if (ws != null) {
      ws.abort();
    }
  }

  /**
   * Closes the WebSocket properly: after the frames already queued, a close frame (1000); the
   * socket is cut only if the server has not closed it within {@code bound}. Returns at once.
   */
  void close(Duration bound) {
    ended = true;
    WebSocket ws = socket;
    if (ws == null) {
      return;
    }
    sending.exceptionally(error -> null)
        .thenCompose(ignored -> ws.sendClose(WebSocket.NORMAL_CLOSURE, "closed by the app"))
        .whenComplete((ignored, error) -> {
          if (error != null) {
            ws.abort();
          }
        });
    CompletableFuture.delayedExecutor(bound.toMillis(), TimeUnit.MILLISECONDS).execute(ws::abort);
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    socket = webSocket;
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    if (!assembler.admits(data.remaining())) {
      post(() -> events.onOversize(this)); // nothing more is requested
      return null;
    }
    byte[] frame = assembler.add(data, last);
    if (frame == null) {
      webSocket.request(1);
      return null;
    }
    post(() -> {
      events.onFrame(this, frame);
      if (!ended) {
        webSocket.request(1);
      }
    });
    return null;
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    webSocket.request(1); // the protocol is binary; text is ignored
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    post(() -> events.onEnded(this, "closed by the server (" + statusCode + " " + reason + ")"));
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    post(() -> events.onEnded(this, "connection failed: " + rootMessage(error)));
  }

  /** Runs {@code task} on the event thread; dropped once the client is closed. */
  private void post(Runnable task) {
    try {
      eventThread.execute(task);
    } catch (RejectedExecutionException closed) {
      // Closed: late socket callbacks have nothing left to update.
    }
  }

  /** The innermost cause of {@code error}, with its type: what a connection state names. */
  static String rootMessage(Throwable error) {
    Throwable root = error;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName()
        + (root.getMessage() == null ? "" : ": " + root.getMessage());
  }
}
