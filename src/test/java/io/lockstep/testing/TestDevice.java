package io.lockstep.testing;

import com.google.protobuf.InvalidProtocolBufferException;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Hello;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Push;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.protocol.v1.Welcome;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw device for tests: a real WebSocket over a real socket (JDK client), speaking the wire
 * protocol frame by frame so tests can send anything, malformed input included.
 */
public final class TestDevice implements AutoCloseable {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final WebSocket socket;
  private final BlockingQueue<ServerFrame> frames = new LinkedBlockingQueue<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();

  private TestDevice(URI uri) {
    this.socket = HttpClient.newHttpClient().newWebSocketBuilder()
        .connectTimeout(WAIT)
        .buildAsync(uri, new Listener())
        .join();
  }

  public static TestDevice connect(int httpPort) {
    return new TestDevice(URI.create("ws://127.0.0.1:" + httpPort + "/v1/devices/ws"));
  }

  /** Connects, says Hello and returns the Welcome. */
  public static TestDevice hello(int httpPort, String deviceId, String token, long afterSeq) {
    TestDevice device = connect(httpPort);
    device.send(ClientFrame.newBuilder()
        .setHello(Hello.newBuilder().setDeviceId(deviceId).setToken(token).setAfterSeq(afterSeq))
        .build());
    return device;
  }

  public void send(ClientFrame frame) {
    sendRaw(frame.toByteArray());
  }

  public void sendRaw(byte[] bytes) {
    socket.sendBinary(ByteBuffer.wrap(bytes), true).join();
  }

  public void sendText(String text) {
    socket.sendText(text, true).join();
  }

  public void push(Mutation... mutations) {
    send(ClientFrame.newBuilder().setPush(Push.newBuilder().addAllMutations(List.of(mutations))).build());
  }

  /** The next frame from the server; fails after a generous wait. */
  public ServerFrame next() {
    try {
      ServerFrame frame = frames.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      if (frame == null) throw new AssertionError("no frame from the server within " + WAIT);
      return frame;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** A frame if one arrives within {@code wait}, else null. */
  public ServerFrame poll(Duration wait) throws InterruptedException {
    return frames.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  public Welcome welcome() {
    ServerFrame frame = next();
    if (!frame.hasWelcome()) throw new AssertionError("expected Welcome, got " + frame);
    return frame.getWelcome();
  }

  public Ack ack() {
    ServerFrame frame = next();
    if (!frame.hasAck()) throw new AssertionError("expected Ack, got " + frame);
    return frame.getAck();
  }

  /** Reads frames until {@code count} changes arrived, skipping acks; returns the changes. */
  public List<Change> changes(int count) {
    List<Change> result = new ArrayList<>();
    while (result.size() < count) {
      ServerFrame frame = next();
      if (frame.hasChanges()) result.addAll(frame.getChanges().getChangesList());
      else if (!frame.hasAck()) throw new AssertionError("expected Changes, got " + frame);
    }
    return result;
  }

  public io.lockstep.protocol.v1.Error error() {
    ServerFrame frame = next();
    if (!frame.hasError()) throw new AssertionError("expected Error, got " + frame);
    return frame.getError();
  }

  /** The close status the server sent, waiting for it. */
  public int awaitClose() {
    return closed.orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  @Override
  public void close() {
    if (!socket.isOutputClosed()) socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(e -> null);
    socket.abort();
  }

  private final class Listener implements WebSocket.Listener {
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] chunk = new byte[data.remaining()];
      data.get(chunk);
      partial.writeBytes(chunk);
      if (last) {
        try {
          frames.add(ServerFrame.parseFrom(partial.toByteArray()));
        } catch (InvalidProtocolBufferException e) {
          closed.completeExceptionally(e);
        }
        partial.reset();
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete(-1);
    }
  }
}
