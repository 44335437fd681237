package io.lockstep.load;

import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.AddLine;
import io.lockstep.protocol.v1.AdjustStock;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Hello;
import io.lockstep.protocol.v1.Item;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.OpenOrder;
import io.lockstep.protocol.v1.Order;
import io.lockstep.protocol.v1.Ping;
import io.lockstep.protocol.v1.Push;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.protocol.v1.UpsertItem;
import io.lockstep.security.PushRateLimiter;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One simulated point-of-sale device: a real WebSocket (JDK client) speaking the wire protocol,
 * a replica of its merchant built only from the server's changes, an outbox of unacknowledged
 * mutations re-sent after a reconnect, and send times so receivers can time the fan-out.
 */
final class Device implements WebSocket.Listener {
  private static final int RING = 1 << 14;

  final Merchant merchant;
  final String deviceId;
  private final String token;
  private final Recorder rec;

  private volatile WebSocket ws;
  private CompletableFuture<?> sendChain = CompletableFuture.completedFuture(null);
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

  // Replica: touched only by this socket's callbacks (serial per socket).
  final Map<String, Item> items = new HashMap<>();
  final Map<String, Order> orders = new HashMap<>();
  volatile long appliedSeq;
  volatile boolean seqsOnly; // until caught up, changes are read for their seqs only (ChangeSeqs)
  volatile long headSeqAtWelcome;

  private long counter;
  private final AtomicLongArray sentAtNanos = new AtomicLongArray(RING);
  final ConcurrentSkipListMap<Long, Mutation> outbox = new ConcurrentSkipListMap<>();
  /** Paces this device's pushes as the client library does (pacer thread only; made at its first push). */
  PushRateLimiter pacing;
  final AtomicInteger pushesInFlight = new AtomicInteger();
  volatile CompletableFuture<Long> welcomed = new CompletableFuture<>();
  volatile CompletableFuture<Void> caughtUp = new CompletableFuture<>();
  volatile CompletableFuture<Integer> closed = new CompletableFuture<>();
  volatile long connectStartedNanos;
  volatile boolean expectClose;
  volatile boolean connecting;

  /** Next intended send time (open-loop pacing); owned by the pacer thread. */
  long nextSendNanos;
  private volatile long lastFrameNanos;

  Device(Merchant merchant, String deviceId, String token, Recorder rec) {
    this.merchant = merchant;
    this.deviceId = deviceId;
    this.token = token;
    this.rec = rec;
  }

  /** Opens the socket and says Hello after the seq this replica has applied. */
  CompletableFuture<Long> connect(HttpClient client, URI uri) {
    welcomed = new CompletableFuture<>();
    caughtUp = new CompletableFuture<>();
    closed = new CompletableFuture<>();
    expectClose = false;
    connecting = true;
    pushesInFlight.set(0);
    connectStartedNanos = System.nanoTime();
    client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30)).buildAsync(uri, this)
        .whenComplete((socket, error) -> {
          if (error != null) {
            rec.error("connect");
            connecting = false;
            welcomed.completeExceptionally(error);
            closed.complete(-1);
            return;
          }
          ws = socket;
          synchronized (this) {
            sendChain = CompletableFuture.completedFuture(null);
          }
          partial.reset();
          lastFrameNanos = System.nanoTime();
          if (merchant.history != null) merchant.history.connected(deviceId, appliedSeq);
          send(ClientFrame.newBuilder().setHello(
              Hello.newBuilder().setDeviceId(deviceId).setToken(token).setAfterSeq(appliedSeq)).build());
        });
    return welcomed;
  }

  /** Closed by the server or the network (not by the driver) and not already reconnecting. */
  boolean needsReconnect() {
    return !expectClose && !connecting && closed.isDone();
  }

  boolean isOpen() {
    WebSocket socket = ws;
    return socket != null && !socket.isOutputClosed() && !closed.isDone() && welcomed.isDone();
  }

  private void send(ClientFrame frame) {
    if (merchant.history != null) frame.getPush().getMutationsList().forEach(m -> merchant.history.pushed(deviceId, m));
    byte[] bytes = frame.toByteArray();
    WebSocket socket = ws;
    synchronized (this) {
      // The JDK WebSocket allows one outstanding send: chain them.
      sendChain = sendChain.thenCompose(x -> socket.sendBinary(ByteBuffer.wrap(bytes), true))
          .exceptionally(e -> null);
    }
    rec.pushBytesSent.add(bytes.length);
  }

  void ping() {
    if (isOpen()) send(ClientFrame.newBuilder().setPing(Ping.newBuilder().setNonce(System.nanoTime())).build());
  }

  /** Creates the merchant's catalog (the first device of each merchant does this once). */
  void pushCatalog(long intendedNanos) {
    List<Mutation> ms = new ArrayList<>();
    for (String item : merchant.itemIds) {
      ms.add(base(++counter).setUpsertItem(UpsertItem.newBuilder().setItemId(item).setName("Item " + item)
          .setSku("SKU-" + item).setPriceCents(100)).build());
    }
    push(ms, intendedNanos);
  }

  /**
   * One push of the mixed workload made at each of {@code intended} (what the app made while the
   * device waited for its pacer, sent together as the client library does), each a sale (order,
   * line, stock -1) or a restock (+1); each mutation's latency counts from its own time.
   */
  int pushMixed(List<Long> intended, double saleShare) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    List<Mutation> ms = new ArrayList<>(3 * intended.size());
    for (long at : intended) {
      int from = ms.size();
      String item = merchant.itemIds.get(random.nextInt(merchant.itemIds.size()));
      if (random.nextDouble() < saleShare) {
        String order = deviceId + "-" + (counter + 1);
        ms.add(base(++counter).setOpenOrder(OpenOrder.newBuilder().setOrderId(order)).build());
        ms.add(base(++counter).setAddLine(AddLine.newBuilder().setOrderId(order).setLineId("l1").setItemId(item)
            .setQuantity(1).setPriceCents(100)).build());
        ms.add(base(++counter).setAdjustStock(AdjustStock.newBuilder().setItemId(item).setDelta(-1)).build());
      } else {
        ms.add(base(++counter).setAdjustStock(AdjustStock.newBuilder().setItemId(item).setDelta(1)).build());
      }
      for (int i = from; i < ms.size(); i++) sentAtNanos.set((int) (ms.get(i).getCounter() & (RING - 1)), at);
    }
    send(ms);
    return ms.size();
  }

  /** One push of one stock adjustment (+1 or -1 on a random item): the fanout workload. */
  void pushAdjustStock(long intendedNanos) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    String item = merchant.itemIds.get(random.nextInt(merchant.itemIds.size()));
    int delta = random.nextBoolean() ? 1 : -1;
    push(List.of(base(++counter).setAdjustStock(AdjustStock.newBuilder().setItemId(item).setDelta(delta)).build()),
        intendedNanos);
  }

  /** The counter the next mutation pushed by this device will carry (pacer thread only). */
  long nextCounter() { return counter + 1; }

  /** {@code n} restocks in one push. */
  int pushRestocks(long intendedNanos, int n) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    List<Mutation> ms = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String item = merchant.itemIds.get(random.nextInt(merchant.itemIds.size()));
      ms.add(base(++counter).setAdjustStock(AdjustStock.newBuilder().setItemId(item).setDelta(1)).build());
    }
    push(ms, intendedNanos);
    return n;
  }

  private Mutation.Builder base(long c) {
    return Mutation.newBuilder().setCounter(c).setHlc((System.currentTimeMillis() << 16) + (c & 0xffff));
  }

  private void push(List<Mutation> ms, long intendedNanos) {
    for (Mutation m : ms) sentAtNanos.set((int) (m.getCounter() & (RING - 1)), intendedNanos);
    send(ms);
  }

  private void send(List<Mutation> ms) {
    for (Mutation m : ms) outbox.put(m.getCounter(), m);
    pushesInFlight.incrementAndGet();
    rec.pushesSent.increment();
    rec.mutationsSent.add(ms.size());
    send(ClientFrame.newBuilder().setPush(Push.newBuilder().addAllMutations(ms)).build());
  }

  /** After a reconnect: re-send what the server has not acknowledged, in counter order. */
  private void resendOutbox(long lastCounter) {
    while (!outbox.isEmpty() && outbox.firstKey() <= lastCounter) {
      merchant.droppedUnacknowledged.add(outbox.pollFirstEntry().getValue());
    }
    List<Mutation> batch = new ArrayList<>();
    for (Mutation m : outbox.values()) {
      batch.add(m);
      if (batch.size() == 100) {
        pushesInFlight.incrementAndGet();
        send(ClientFrame.newBuilder().setPush(Push.newBuilder().addAllMutations(batch)).build());
        batch = new ArrayList<>();
      }
    }
    if (!batch.isEmpty()) {
      pushesInFlight.incrementAndGet();
      send(ClientFrame.newBuilder().setPush(Push.newBuilder().addAllMutations(batch)).build());
    }
  }

  long sentAt(long c) { return sentAtNanos.get((int) (c & (RING - 1))); }

  /** When the current connection last delivered a frame (or opened). */
  long lastFrameNanos() {
    return lastFrameNanos;
  }

  /**
   * Gives up on a connection that went silent (its node frozen or cut off), as a device with ping
   * silence detection does: the socket is aborted and {@link #needsReconnect} turns true.
   */
  void drop() {
    WebSocket socket = ws;
    if (socket != null) socket.abort();
    rec.error("silent-connection-dropped");
    connecting = false;
    closed.complete(-2);
    welcomed.completeExceptionally(new IllegalStateException("dropped: silent"));
  }

  void close() {
    expectClose = true;
    WebSocket socket = ws;
    if (socket != null) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(e -> null);
      socket.abort();
    }
  }

  // ---- listener ------------------------------------------------------------------------------

  @Override
  public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
    if (socket != ws) return null; // a frame of a connection this device already gave up
    if (partial.size() == 0 && last) {
      handle(data);
    } else {
      byte[] chunk = new byte[data.remaining()];
      data.get(chunk);
      partial.writeBytes(chunk);
      if (last) {
        handle(ByteBuffer.wrap(partial.toByteArray()));
        partial.reset();
      }
    }
    socket.request(1);
    return null;
  }

  private void handle(ByteBuffer bytes) {
    long now = System.nanoTime();
    ServerFrame frame;
    int size = bytes.remaining();
    try {
      long seq = seqsOnly && !caughtUp.isDone() ? ChangeSeqs.readInOrder(bytes, appliedSeq, rec) : -1;
      if (seq >= 0) { // a catch-up's Changes frame, read for its seqs only
        appliedSeq = seq;
        checkCaughtUp();
        return;
      }
      frame = merchant.frames.decode(bytes);
    } catch (java.io.IOException e) {
      rec.error("unparsable-frame");
      return;
    }
    lastFrameNanos = now;
    if (merchant.history != null) merchant.history.observe(deviceId, frame);
    switch (frame.getFrameCase()) {
      case WELCOME -> {
        headSeqAtWelcome = frame.getWelcome().getHeadSeq();
        resendOutbox(frame.getWelcome().getLastCounter());
        if (appliedSeq >= headSeqAtWelcome) caughtUp.complete(null);
        welcomed.complete(headSeqAtWelcome);
        connecting = false;
      }
      case ACKS -> {
        pushesInFlight.decrementAndGet();
        for (Ack ack : frame.getAcks().getAcksList()) acked(ack, now);
      }
      case ACK -> {
        pushesInFlight.decrementAndGet();
        acked(frame.getAck(), now);
      }
      case CHANGES -> {
        rec.changeBytesReceived.add(size);
        boolean live = caughtUp.isDone();
        for (Change change : frame.getChanges().getChangesList()) apply(change, now, live);
      }
      case SNAPSHOT -> {
        var snapshot = frame.getSnapshot();
        if (snapshot.getChunk() == 0) {
          items.clear();
          orders.clear();
        }
        snapshot.getItemsList().forEach(i -> items.put(i.getItemId(), i));
        snapshot.getOrdersList().forEach(o -> orders.put(o.getOrderId(), o));
        if (snapshot.getLast()) {
          appliedSeq = snapshot.getSeq();
          checkCaughtUp();
        }
      }
      case ERROR -> rec.error("server:" + frame.getError().getCode());
      default -> { }
    }
  }

  private void acked(Ack ack, long now) {
    Mutation m = outbox.remove(ack.getCounter());
    switch (ack.getStatus()) {
      case ACCEPTED -> rec.acceptedMutations.increment();
      case DUPLICATE -> rec.duplicateMutations.increment();
      default -> rec.rejectedMutations.increment();
    }
    if (m != null && (ack.getStatus() == AckStatus.ACCEPTED || ack.getStatus() == AckStatus.DUPLICATE)) {
      merchant.stored(m);
    }
    long sent = sentAt(ack.getCounter());
    if (sent != 0) rec.recordAck((now - sent) / 1000);
  }

  private void apply(Change change, long now, boolean live) {
    if (change.getSeq() <= appliedSeq) return;
    appliedSeq = change.getSeq();
    rec.changesReceived.increment();
    if (change.hasItem()) items.put(change.getItem().getItemId(), change.getItem());
    if (change.hasOrder()) orders.put(change.getOrder().getOrderId(), change.getOrder());
    if (!change.getDeviceId().equals(deviceId)) {
      Device origin = merchant.byDeviceId.get(change.getDeviceId());
      if (origin != null) {
        long sent = origin.sentAt(change.getCounter());
        if (live && sent != 0) rec.recordFanout((now - sent) / 1000);
        rec.delivered(origin, change.getCounter(), now);
      }
    }
    checkCaughtUp();
  }

  private void checkCaughtUp() {
    if (!caughtUp.isDone() && welcomed.isDone() && appliedSeq >= headSeqAtWelcome) {
      rec.recordCatchUp((System.nanoTime() - connectStartedNanos) / 1000);
      caughtUp.complete(null);
    }
  }

  @Override
  public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
    if (socket != ws) return null;
    if (!expectClose) rec.error("closed:" + statusCode + (reason.isEmpty() ? "" : ":" + reason));
    closed.complete(statusCode);
    connecting = false;
    welcomed.completeExceptionally(new IllegalStateException("closed " + statusCode + " " + reason));
    return null;
  }

  @Override
  public void onError(WebSocket socket, Throwable error) {
    if (socket != ws) return;
    if (!expectClose) rec.error("socket-error");
    closed.complete(-1);
    connecting = false;
    welcomed.completeExceptionally(error);
  }
}
