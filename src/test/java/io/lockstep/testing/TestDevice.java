package io.lockstep.testing;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Hello;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Push;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.protocol.v1.Snapshot;
import io.lockstep.protocol.v1.Welcome;
import io.lockstep.testing.history.History;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw device for tests: a real WebSocket over a real socket (JDK client), speaking the wire
 * protocol frame by frame so tests can send anything, malformed input included.
 *
 * <p>Given a {@link History}, it records its Hello, pushes, and every ack, change and snapshot in
 * the order they arrive, whether or not the test takes them; its {@link #replica()} is built from
 * the same frames, as a real device would build it.
 */
public final class TestDevice implements AutoCloseable {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final WebSocket socket;
  // Acks and changes interleave by design (ack to the origin, then the change to all), so each
  // kind has its own queue; everything else (welcome, snapshot, pong, error) goes to frames.
  private final BlockingQueue<ServerFrame> frames = new LinkedBlockingQueue<>();
  private final BlockingQueue<Ack> acks = new LinkedBlockingQueue<>();
  private final BlockingQueue<Change> changes = new LinkedBlockingQueue<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private volatile boolean paused;
  private volatile boolean demandOwed;
  private final History history; // null: nothing recorded
  private final String deviceId;
  private final Map<String, Message> replica = new ConcurrentHashMap<>();
  private volatile long appliedSeq; // written by the listener only; devices ignore seq they have

  // Guards the end of recording: once close() returns, this connection records nothing more.
  private final Object recording = new Object();
  private boolean closing;

  private TestDevice(URI uri, String deviceId, History history, Duration connectTimeout) {
    this.deviceId = deviceId;
    this.history = history;
    this.socket = HttpClient.newHttpClient().newWebSocketBuilder()
        .connectTimeout(connectTimeout)
        .buildAsync(uri, new Listener())
        .join();
  }

  /** The device WebSocket endpoint of a node at {@code host:port}. */
  public static URI uri(String host, int port) {
    return URI.create("ws://" + host + ":" + port + "/v1/devices/ws");
  }

  public static TestDevice connect(int httpPort) {
    return connect(httpPort, "", null);
  }

  private static TestDevice connect(int httpPort, String deviceId, History history) {
    return new TestDevice(uri("127.0.0.1", httpPort), deviceId, history, WAIT);
  }

  /** Connects and says Hello; the Welcome follows. */
  public static TestDevice hello(int httpPort, String deviceId, String token, long afterSeq) {
    return hello(httpPort, deviceId, token, afterSeq, null);
  }

  /** Connects and says Hello, recording into {@code history} (null: nothing recorded). */
  public static TestDevice hello(int httpPort, String deviceId, String token, long afterSeq, History history) {
    return hello(uri("127.0.0.1", httpPort), deviceId, token, afterSeq, history, WAIT);
  }

  /**
   * Connects to {@code uri} (the upgrade within {@code connectTimeout}, else a
   * CompletionException) and says Hello, recording into {@code history} (null: nothing recorded).
   */
  public static TestDevice hello(URI uri, String deviceId, String token, long afterSeq, History history,
      Duration connectTimeout) {
    TestDevice device = new TestDevice(uri, deviceId, history, connectTimeout);
    if (history != null) history.connected(deviceId, afterSeq);
    device.appliedSeq = afterSeq;
    device.send(ClientFrame.newBuilder()
        .setHello(Hello.newBuilder().setDeviceId(deviceId).setToken(token).setAfterSeq(afterSeq))
        .build());
    return device;
  }

  public void send(ClientFrame frame) {
    if (history != null) frame.getPush().getMutationsList().forEach(m -> history.pushed(deviceId, m));
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

  /** The next frame that is neither an ack nor changes; fails after a generous wait. */
  public ServerFrame next() {
    return take(frames, "frame");
  }

  /** A frame other than acks and changes if one arrives within {@code wait}, else null. */
  public ServerFrame poll(Duration wait) throws InterruptedException {
    return frames.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** A change if one arrives within {@code wait}, else null. */
  public Change pollChange(Duration wait) throws InterruptedException {
    return changes.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static <T> T take(BlockingQueue<T> queue, String what) {
    try {
      T item = queue.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      if (item == null) throw new AssertionError("no " + what + " from the server within " + WAIT);
      return item;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public Welcome welcome() {
    ServerFrame frame = next();
    if (!frame.hasWelcome()) throw new AssertionError("expected Welcome, got " + frame);
    return frame.getWelcome();
  }

  public Ack ack() {
    return take(acks, "ack");
  }

  /** An ack if one arrives within {@code wait}, else null. */
  public Ack pollAck(Duration wait) throws InterruptedException {
    return acks.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The next {@code count} changes, in the order they arrived. */
  public List<Change> changes(int count) {
    List<Change> result = new ArrayList<>();
    while (result.size() < count) result.add(take(changes, "change"));
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

  /**
   * Record id ({@link History#key}) to its resolved state, from the changes and snapshots received
   * so far, each seq once.
   */
  public Map<String, Message> replica() {
    return Map.copyOf(replica);
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  /** Stops reading the socket: the server's frames pile up in TCP buffers, as with a slow device. */
  public void pause() {
    paused = true;
  }

  /** Reads again. */
  public void resume() {
    paused = false;
    if (demandOwed) {
      demandOwed = false;
      socket.request(1);
    }
  }

  @Override
  public void close() {
    synchronized (recording) {
      closing = true;
    }
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
          ServerFrame frame = ServerFrame.parseFrom(partial.toByteArray());
          observe(frame);
          if (frame.hasAck()) acks.add(frame.getAck());
          else if (frame.hasAcks()) acks.addAll(frame.getAcks().getAcksList());
          else if (frame.hasChanges()) changes.addAll(frame.getChanges().getChangesList());
          else frames.add(frame);
        } catch (InvalidProtocolBufferException e) {
          closed.completeExceptionally(e);
        }
        partial.reset();
      }
      if (paused) demandOwed = true;
      else ws.request(1);
      return null;
    }

    /** Records the frame and applies it to the replica, before a test can take it. */
    private void observe(ServerFrame frame) {
      if (history != null) {
        synchronized (recording) {
          if (!closing) history.observe(deviceId, frame);
        }
      }
      for (Change change : frame.getChanges().getChangesList()) {
        if (change.getSeq() <= appliedSeq) continue;
        appliedSeq = change.getSeq();
        if (change.hasItem()) replica.put(History.key(change.getItem()), change.getItem());
        if (change.hasOrder()) replica.put(History.key(change.getOrder()), change.getOrder());
      }
      if (frame.hasSnapshot()) {
        Snapshot chunk = frame.getSnapshot();
        if (chunk.getChunk() == 0) replica.clear();
        chunk.getItemsList().forEach(item -> replica.put(History.key(item), item));
        chunk.getOrdersList().forEach(order -> replica.put(History.key(order), order));
        if (chunk.getLast()) appliedSeq = chunk.getSeq();
      }
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
