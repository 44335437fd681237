package io.lockstep.client;

import com.google.protobuf.InvalidProtocolBufferException;
import io.lockstep.client.v1.ClientStore;
import io.lockstep.domain.Authority;
import io.lockstep.domain.Conflict;
import io.lockstep.domain.Dot;
import io.lockstep.domain.DomainRecord;
import io.lockstep.domain.Hlc;
import io.lockstep.domain.HybridLogicalClock;
import io.lockstep.domain.Item;
import io.lockstep.domain.MerchantState;
import io.lockstep.domain.Mutation;
import io.lockstep.domain.Op;
import io.lockstep.domain.Order;
import io.lockstep.domain.Outcome;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.Applied;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Hello;
import io.lockstep.protocol.v1.Ping;
import io.lockstep.protocol.v1.Push;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.protocol.v1.Snapshot;
import io.lockstep.protocol.v1.Welcome;
import io.lockstep.serialization.DeviceProtocolMapper;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The state and protocol logic of one {@link LockstepClient}; every method runs on the client's
 * event thread (socket callbacks are posted to it), so nothing here is synchronized.
 *
 * <pre>
 *   event             does                                                    store
 *   submit(op)        counter, base, hlc; apply locally; outbox; pump        written now
 *   socket open       Hello{device_id, token, after_seq = applied seq}
 *   Welcome           drop outbox counters <= last_counter; CONNECTED; pump  flushed soon
 *   Ack               out of the outbox (REJECTED: tell the listener); pump  flushed soon
 *   Changes           per change in seq order: replace record, re-apply own  flushed soon
 *   Snapshot chunks   on the last one: replace the replica                   flushed soon
 *   unreadable        change or snapshot: clear the records, retry from seq 0 written now
 *   oversize/garbage  frame over maxFrameBytes or unparsable: retry
 *   Error             unauthenticated/device-mismatch: FAILED; else retry
 *   tick              Ping; drop a silent socket or one not welcomed in time
 * </pre>
 *
 * A retry after an unreadable or oversize frame keeps the backoff growing until a connection has
 * caught up, so a fault the server repeats never reconnects in a tight loop.
 *
 * New mutations are written before they can be sent, so a counter is never reused. Everything else
 * is flushed within {@link #FLUSH_DELAY}: losing it in a crash only makes the server resend changes
 * (the seq and the records are always written together) or the client resend mutations the server
 * then drops as duplicates.
 */
final class SyncSession {

  /** Longest time an ack, change or snapshot stays only in memory. */
  static final Duration FLUSH_DELAY = Duration.ofMillis(50);
  /** How long {@link #close()} lets the server answer the close frame before the socket is cut. */
  static final Duration CLOSE_BOUND = Duration.ofSeconds(1);
  /** Applied reports go out at most this often, or every {@link #APPLIED_EVERY} changes. */
  static final Duration APPLIED_INTERVAL = Duration.ofMillis(100);
  static final int APPLIED_EVERY = 256;

  private static final Set<String> FATAL_ERRORS = Set.of("unauthenticated", "device-mismatch");

  private final LockstepClient.Builder settings;
  private final String deviceId;
  private final StoreFile store;
  private final ScheduledExecutorService eventThread;
  private final ListenerDispatch listener;
  private final Consumer<ClientView> publisher;
  private final HybridLogicalClock hlc;
  private final ReconnectBackoff backoff;

  private LocalReplica replica = LocalReplica.empty();
  private long nextCounter = 1;
  private long knownHeadSeq;
  private String merchantId = "";
  private ConnectionState state = ConnectionState.OFFLINE;
  private boolean started;
  private Connection connection;
  private ScheduledFuture<?> retryTask;
  private ScheduledFuture<?> tickTask;
  private ScheduledFuture<?> flushTask;
  private ScheduledFuture<?> appliedTask;
  private long storedSeq; // the applied seq the store holds
  private boolean recovering; // since an unreadable or oversize frame, until caught up again

  SyncSession(LockstepClient.Builder settings, StoreFile store,
      ScheduledExecutorService eventThread, ListenerDispatch listener,
      Consumer<ClientView> publisher) {
    this.settings = settings;
    this.deviceId = settings.deviceId();
    this.store = store;
    this.eventThread = eventThread;
    this.listener = listener;
    this.publisher = publisher;
    this.hlc = settings.newHlc();
    this.backoff = settings.newBackoff();
  }

  // ---- life cycle ----------------------------------------------------------------------------

  /** Reads the store; a missing store is a device that never synced. */
  void load() {
    Optional<ClientStore> stored = store.read();
    if (stored.isPresent()) {
      restore(stored.get());
    }
    publish();
  }

  private void restore(ClientStore s) {
    if (!s.getDeviceId().isEmpty() && !s.getDeviceId().equals(deviceId)) {
      throw new IllegalStateException("store " + store.path() + " belongs to device '"
          + s.getDeviceId() + "', not '" + deviceId + "'");
    }
    try {
      List<Item> items = s.getItemsList().stream().map(DeviceProtocolMapper::toDomain).toList();
      List<Order> orders = s.getOrdersList().stream().map(DeviceProtocolMapper::toDomain).toList();
      List<PendingEntry> pending = s.getPendingList().stream()
          .map(p -> new PendingEntry(p.getMutation(), toDomain(p.getMutation()),
              p.getAcknowledged(), p.getSettleSeq()))
          .toList();
      replica = LocalReplica.restore(s.getLastAppliedSeq(), items, orders, pending);
      storedSeq = s.getLastAppliedSeq();
    } catch (RuntimeException e) { // InvalidMutationException and the domain's argument checks
      throw new IllegalStateException("store " + store.path() + " is damaged: " + e.getMessage(), e);
    }
    nextCounter = Math.max(1, s.getNextCounter());
    knownHeadSeq = s.getLastAppliedSeq();
    merchantId = s.getMerchantId();
  }

  void start() {
    requireOpen();
    if (started) {
      return;
    }
    started = true;
    long period = Math.max(50, Math.min(settings.pingInterval().toMillis(),
        settings.connectTimeout().toMillis()) / 2);
    tickTask = eventThread.scheduleWithFixedDelay(this::tick, period, period, TimeUnit.MILLISECONDS);
    connect();
  }

  void close() {
    if (state == ConnectionState.CLOSED) {
      return;
    }
    cancel(retryTask);
    cancel(tickTask);
    cancel(flushTask);
    if (connection != null) {
      connection.close(CLOSE_BOUND);
      connection = null;
    }
    writeStore();
    store.close();
    setState(ConnectionState.CLOSED, "closed by the app");
  }

  private void requireOpen() {
    if (state == ConnectionState.CLOSED) {
      throw new IllegalStateException("client " + deviceId + " is closed");
    }
  }

  // ---- mutations -----------------------------------------------------------------------------

  long submit(Op op) {
    requireOpen();
    Mutation m = new Mutation(new Dot(deviceId, nextCounter), replica.baseFor(op), hlc.now(),
        Authority.DEVICE, op);
    if (replica.tryApply(m) instanceof Outcome.Rejected rejected) {
      throw new IllegalArgumentException(rejected.reason());
    }
    nextCounter++;
    replica = replica.withPending(new PendingEntry(DeviceProtocolMapper.toProto(m), m, false, 0));
    writeStore();
    publish();
    pump();
    return m.dot().counter();
  }

  private Mutation toDomain(io.lockstep.protocol.v1.Mutation wire) {
    return DeviceProtocolMapper.toDomain(deviceId, Authority.DEVICE, wire);
  }

  // ---- connection ----------------------------------------------------------------------------

  private void connect() {
    retryTask = null;
    if (!started || state == ConnectionState.CLOSED || state == ConnectionState.FAILED) {
      return;
    }
    Connection c = new Connection();
    connection = c;
    setState(ConnectionState.CONNECTING, "connecting to " + settings.serverUri());
    settings.httpClient().newWebSocketBuilder()
        .connectTimeout(settings.connectTimeout())
        .buildAsync(settings.serverUri(), c)
        .whenComplete((socket, error) -> post(() -> onOpened(c, socket, error)));
  }

  private void onOpened(Connection c, WebSocket socket, Throwable error) {
    if (c != connection) {
      if (socket != null) {
        socket.abort();
      }
      return;
    }
    if (error != null) {
      drop(c, "cannot connect: " + rootMessage(error), true);
      return;
    }
    c.socket = socket;
    String token;
    try {
      token = settings.token().get();
    } catch (RuntimeException e) {
      drop(c, "token supplier failed: " + e, true);
      return;
    }
    c.send(ClientFrame.newBuilder().setHello(Hello.newBuilder()
        .setDeviceId(deviceId).setToken(token).setAfterSeq(replica.appliedSeq())).build());
    c.reportedApplied = replica.appliedSeq(); // the server takes Hello.after_seq as applied
  }

  /** Ends {@code c} if it is the current connection; retries after a backoff delay unless fatal. */
  private void drop(Connection c, String reason, boolean retry) {
    drop(c, reason, retry, Duration.ZERO);
  }

  /** {@link #drop(Connection, String, boolean)} waiting at least {@code retryAfter} (server's word). */
  private void drop(Connection c, String reason, boolean retry, Duration retryAfter) {
    if (c != connection) {
      return;
    }
    connection = null;
    c.abort();
    if (!retry) {
      setState(ConnectionState.FAILED, reason);
      return;
    }
    Duration backoffDelay = backoff.next();
    Duration delay = backoffDelay.compareTo(retryAfter) < 0 ? retryAfter : backoffDelay;
    setState(ConnectionState.RETRYING, reason + "; retrying in " + delay.toMillis() + " ms");
    retryTask = eventThread.schedule(this::connect, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void tick() {
    Connection c = connection;
    if (c == null) {
      return;
    }
    long now = System.nanoTime();
    if (!c.welcomed) {
      if (now - c.openedNanos > settings.connectTimeout().toNanos()) {
        drop(c, "no Welcome within " + settings.connectTimeout(), true);
      }
      return;
    }
    long ping = settings.pingInterval().toNanos();
    if (now - c.lastHeardNanos > 2 * ping) {
      drop(c, "server silent for " + Duration.ofNanos(now - c.lastHeardNanos).toMillis() + " ms",
          true);
    } else if (now - c.lastPingNanos >= ping) {
      c.lastPingNanos = now;
      c.send(ClientFrame.newBuilder().setPing(Ping.newBuilder().setNonce(++c.pingNonce)).build());
    }
  }

  /** Sends what the outbox holds beyond what this connection sent, within the push bounds. */
  private void pump() {
    Connection c = connection;
    if (c == null || !c.welcomed) {
      return;
    }
    List<io.lockstep.protocol.v1.Mutation> unsent = new ArrayList<>();
    for (PendingEntry e : replica.pending()) {
      if (!e.acknowledged() && e.counter() > c.sentUpTo) {
        unsent.add(e.wire());
      }
    }
    int from = 0;
    while (from < unsent.size() && c.pushesInFlight.size() < settings.maxPushesInFlight()) {
      int to = Math.min(unsent.size(), from + settings.maxMutationsPerPush());
      List<io.lockstep.protocol.v1.Mutation> batch = unsent.subList(from, to);
      c.send(ClientFrame.newBuilder().setPush(Push.newBuilder().addAllMutations(batch)).build());
      c.sentUpTo = batch.get(batch.size() - 1).getCounter();
      c.pushesInFlight.addLast(c.sentUpTo);
      from = to;
    }
  }

  // ---- server frames -------------------------------------------------------------------------

  private void onFrame(Connection c, byte[] bytes) {
    if (c != connection) {
      return;
    }
    c.lastHeardNanos = System.nanoTime();
    ServerFrame frame;
    try {
      frame = ServerFrame.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      protocolError(c, "undecodable frame from the server");
      return;
    }
    switch (frame.getFrameCase()) {
      case WELCOME -> onWelcome(c, frame.getWelcome());
      case ACK -> onAck(c, frame.getAck());
      case ACKS -> frame.getAcks().getAcksList().forEach(ack -> onAck(c, ack));
      case CHANGES -> onChanges(c, frame.getChanges().getChangesList());
      case SNAPSHOT -> onSnapshot(c, frame.getSnapshot());
      case ERROR -> onError(c, frame.getError());
      default -> { } // Pong, or a frame this client does not know: liveness only
    }
  }

  private void onWelcome(Connection c, Welcome welcome) {
    c.welcomed = true;
    c.catchUpTo = welcome.getHeadSeq();
    merchantId = welcome.getMerchantId();
    // The server's head at connect is the truth, also when it is below what this device knew (a
    // database restored from backup): the snapshot that follows resets the replica to it. Taking
    // the max here left a reset device never settled (applied 1, known head 5).
    knownHeadSeq = welcome.getHeadSeq();
    long lastCounter = welcome.getLastCounter();
    // Already stored: the catch-up that follows (up to head_seq) holds their changes.
    replica = replica.mapPending(e -> !e.acknowledged() && e.counter() <= lastCounter
        ? e.acknowledgedAt(welcome.getHeadSeq()) : e);
    nextCounter = Math.max(nextCounter, lastCounter + 1);
    setState(ConnectionState.CONNECTED, "merchant " + merchantId + " at seq " + welcome.getHeadSeq());
    markDirty();
    noteProgress(c);
    pump();
  }

  /** Resets the backoff once {@code c} is healthy: welcomed, and after a fault also caught up. */
  private void noteProgress(Connection c) {
    if (recovering && replica.appliedSeq() < c.catchUpTo) {
      return;
    }
    recovering = false;
    backoff.reset();
  }

  private void onAck(Connection c, Ack ack) {
    while (!c.pushesInFlight.isEmpty() && c.pushesInFlight.peekFirst() <= ack.getCounter()) {
      c.pushesInFlight.pollFirst();
    }
    knownHeadSeq = Math.max(knownHeadSeq, ack.getSeq());
    Optional<PendingEntry> acked = replica.pending().stream()
        .filter(e -> !e.acknowledged() && e.counter() == ack.getCounter()).findFirst();
    if (acked.isPresent()) {
      // DUPLICATE: the server's records already hold it, as the catch-up before this ack showed.
      long settleSeq = ack.getStatus() == AckStatus.DUPLICATE ? 0 : ack.getSeq();
      replica = replica.mapPending(e -> e == acked.get() ? e.acknowledgedAt(settleSeq) : e);
      if (ack.getStatus() == AckStatus.REJECTED) {
        Op op = acked.get().mutation().op();
        listener.tell(l -> l.onRejected(ack.getCounter(), op, ack.getReason()));
      }
      markDirty();
      publish();
    }
    pump();
  }

  private void onChanges(Connection c, List<Change> changes) {
    boolean applied = false;
    for (Change change : changes) {
      long seq = change.getSeq();
      if (seq <= replica.appliedSeq()) {
        continue; // delivered at least once: already have it
      }
      if (seq != replica.appliedSeq() + 1) {
        finishChanges(c, applied);
        drop(c, "gap in changes: expected seq " + (replica.appliedSeq() + 1) + ", got " + seq, true);
        return;
      }
      ReadChange read;
      try {
        read = ReadChange.of(change);
      } catch (RuntimeException e) { // InvalidMutationException and the domain's argument checks
        finishChanges(c, applied);
        resync(c, "change at seq " + seq + " cannot be read: " + e.getMessage());
        return;
      }
      apply(read);
      applied = true;
    }
    finishChanges(c, applied);
  }

  private void apply(ReadChange read) {
    Change change = read.change();
    replica = replica.withChange(change.getSeq(), read.record());
    knownHeadSeq = Math.max(knownHeadSeq, change.getSeq());
    if (change.getMutation().getHlc() != 0) {
      hlc.observe(Hlc.unpack(change.getMutation().getHlc()));
    }
    read.record().ifPresent(r -> listener.tell(
        l -> l.onChange(change.getSeq(), change.getDeviceId(), change.getCounter(), r)));
    read.conflict().ifPresent(conflict -> listener.tell(l -> l.onConflict(conflict)));
  }

  private void finishChanges(Connection c, boolean applied) {
    if (applied) {
      markDirty();
      publish();
      noteProgress(c);
    }
  }

  /**
   * A change with its parts read. A change without a record (a rejected mutation kept for its
   * conflict, on a record that does not exist) only advances the seq.
   */
  private record ReadChange(Change change, Optional<DomainRecord> record,
      Optional<Conflict> conflict) {

    /** @throws RuntimeException when the record or the conflict cannot be read */
    static ReadChange of(Change change) {
      Optional<DomainRecord> record = change.getRecordCase() == Change.RecordCase.RECORD_NOT_SET
          ? Optional.empty() : Optional.of(DeviceProtocolMapper.recordOf(change));
      Optional<Conflict> conflict = change.hasConflict()
          ? Optional.of(DeviceProtocolMapper.toDomain(change.getConflict())) : Optional.empty();
      return new ReadChange(change, record, conflict);
    }
  }

  private void onSnapshot(Connection c, Snapshot chunk) {
    if (chunk.getChunk() == 0) {
      c.snapshotItems.clear();
      c.snapshotOrders.clear();
    }
    c.snapshotItems.addAll(chunk.getItemsList());
    c.snapshotOrders.addAll(chunk.getOrdersList());
    if (!chunk.getLast()) {
      return;
    }
    long seq = chunk.getSeq();
    try {
      replica = replica.withSnapshot(seq,
          c.snapshotItems.stream().map(DeviceProtocolMapper::toDomain).toList(),
          c.snapshotOrders.stream().map(DeviceProtocolMapper::toDomain).toList());
    } catch (RuntimeException e) { // InvalidMutationException and the domain's argument checks
      resync(c, "snapshot at seq " + seq + " cannot be read: " + e.getMessage());
      return;
    }
    c.snapshotItems.clear();
    c.snapshotOrders.clear();
    knownHeadSeq = Math.max(knownHeadSeq, seq);
    listener.tell(l -> l.onSnapshot(seq));
    markDirty();
    publish();
    noteProgress(c);
  }

  /**
   * Never goes on without what could not be read: drops the server's records (pending mutations
   * stay), stores that, and reconnects with {@code after_seq} 0, which the server answers with every
   * change or a snapshot.
   */
  private void resync(Connection c, String reason) {
    replica = replica.cleared();
    recovering = true;
    writeStore();
    publish();
    listener.tell(l -> l.onResync(reason));
    drop(c, reason + "; resyncing from seq 0", true);
  }

  /** The server broke the protocol: nothing of the frame is used; reconnect after a backoff. */
  private void protocolError(Connection c, String reason) {
    if (c != connection) {
      return;
    }
    recovering = true;
    listener.tell(l -> l.onProtocolError(reason));
    drop(c, reason, true);
  }

  private void onError(Connection c, io.lockstep.protocol.v1.Error error) {
    String reason = "server error " + error.getCode() + ": " + error.getMessage();
    drop(c, reason, !FATAL_ERRORS.contains(error.getCode()), Duration.ofMillis(error.getRetryAfterMillis()));
  }

  // ---- store and view ------------------------------------------------------------------------

  private void markDirty() {
    if (flushTask == null && state != ConnectionState.CLOSED) {
      flushTask = eventThread.schedule(this::writeStore, FLUSH_DELAY.toNanos(),
          TimeUnit.NANOSECONDS);
    }
  }

  private void writeStore() {
    cancel(flushTask);
    flushTask = null;
    MerchantState confirmed = replica.confirmed();
    ClientStore.Builder b = ClientStore.newBuilder()
        .setDeviceId(deviceId)
        .setMerchantId(merchantId)
        .setLastAppliedSeq(replica.appliedSeq())
        .setNextCounter(nextCounter);
    confirmed.items().values().forEach(i -> b.addItems(DeviceProtocolMapper.toProto(i)));
    confirmed.orders().values().forEach(o -> b.addOrders(DeviceProtocolMapper.toProto(o)));
    for (PendingEntry e : replica.pending()) {
      b.addPending(io.lockstep.client.v1.PendingMutation.newBuilder().setMutation(e.wire())
          .setAcknowledged(e.acknowledged()).setSettleSeq(e.settleSeq()));
    }
    store.write(b.build());
    storedSeq = replica.appliedSeq();
    publish();
    reportApplied();
  }

  /**
   * Tells the server the seq this device has applied and stored (the sync barrier), at most every
   * {@link #APPLIED_INTERVAL} or every {@link #APPLIED_EVERY} changes; a report held back by the
   * interval goes out when it ends.
   */
  private void reportApplied() {
    Connection c = connection;
    if (c == null || !c.welcomed || storedSeq <= c.reportedApplied) return;
    long sinceLast = System.nanoTime() - c.reportedAtNanos;
    if (sinceLast < APPLIED_INTERVAL.toNanos() && storedSeq - c.reportedApplied < APPLIED_EVERY) {
      if (appliedTask == null) {
        appliedTask = eventThread.schedule(() -> {
          appliedTask = null;
          reportApplied();
        }, APPLIED_INTERVAL.toNanos() - sinceLast, TimeUnit.NANOSECONDS);
      }
      return;
    }
    c.reportedApplied = storedSeq;
    c.reportedAtNanos = System.nanoTime();
    c.send(ClientFrame.newBuilder().setApplied(Applied.newBuilder().setSeq(storedSeq)).build());
  }

  private void setState(ConnectionState next, String detail) {
    if (next == state) {
      return;
    }
    state = next;
    listener.tell(l -> l.onConnectionState(next, detail));
    publish();
  }

  private void publish() {
    MerchantState resolved = replica.view().resolvedView();
    int unacknowledged = (int) replica.pending().stream().filter(e -> !e.acknowledged()).count();
    publisher.accept(new ClientView(resolved.items(), resolved.orders(), replica.pending().size(),
        unacknowledged, replica.appliedSeq(), knownHeadSeq, state, storedSeq));
  }

  // ---- plumbing ------------------------------------------------------------------------------

  /** Runs {@code task} on the event thread; dropped once the client is closed. */
  private void post(Runnable task) {
    try {
      eventThread.execute(task);
    } catch (RejectedExecutionException closed) {
      // Closed: late socket callbacks have nothing left to update.
    }
  }

  private static void cancel(ScheduledFuture<?> task) {
    if (task != null) {
      task.cancel(false);
    }
  }

  private static String rootMessage(Throwable error) {
    Throwable root = error;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
  }

  /**
   * One WebSocket connection attempt. Its listener callbacks run on HTTP client threads and only
   * post to the event thread; the next frame is requested after the previous one was handled, so a
   * busy client slows the server's sending instead of buffering without bound.
   */
  private final class Connection implements WebSocket.Listener {
    final long openedNanos = System.nanoTime();
    final ArrayDeque<Long> pushesInFlight = new ArrayDeque<>(); // last counter of each push
    final List<io.lockstep.protocol.v1.Item> snapshotItems = new ArrayList<>();
    final List<io.lockstep.protocol.v1.Order> snapshotOrders = new ArrayList<>();
    private final FrameAssembler assembler = new FrameAssembler(settings.maxFrameBytes());
    volatile WebSocket socket;
    CompletableFuture<?> sending = CompletableFuture.completedFuture(null);
    boolean welcomed;
    long catchUpTo; // the head seq its Welcome named
    long sentUpTo;
    long lastHeardNanos = System.nanoTime();
    long lastPingNanos = System.nanoTime();
    long pingNonce;
    long reportedApplied; // the last applied seq the server heard of on this connection
    long reportedAtNanos;

    /** Queues a frame; the JDK socket takes one send at a time. A failed send drops the socket. */
    void send(ClientFrame frame) {
      WebSocket ws = socket;
      byte[] bytes = frame.toByteArray();
      sending = sending
          .thenCompose(ignored -> ws.sendBinary(ByteBuffer.wrap(bytes), true))
          .whenComplete((ignored, error) -> {
            if (error != null) {
              post(() -> drop(this, "send failed: " + rootMessage(error), true));
            }
          });
    }

    void abort() {
      WebSocket ws = socket;
      if (ws != null) {
        ws.abort();
      }
    }

    /**
     * Closes the WebSocket properly: after the frames already queued, a close frame (1000), and
     * the socket is cut only if the server has not closed it within {@code bound}. Returns at
     * once; the server sees a clean close instead of a reset connection.
     */
    void close(Duration bound) {
      WebSocket ws = socket;
      if (ws == null) {
        return;
      }
      sending.exceptionally(error -> null)
          .thenCompose(ignored -> ws.sendClose(WebSocket.NORMAL_CLOSURE, "closed by the app"))
          .whenComplete((ignored, error) -> {
            if (error != null) ws.abort();
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
        // Nothing more is requested from this socket; the event thread drops it.
        post(() -> protocolError(this, "server frame over maxFrameBytes ("
            + settings.maxFrameBytes() + " bytes)"));
        return null;
      }
      byte[] frame = assembler.add(data, last);
      if (frame == null) {
        webSocket.request(1);
        return null;
      }
      post(() -> {
        onFrame(this, frame);
        if (this == connection) {
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
      post(() -> drop(this, "closed by the server (" + statusCode + " " + reason + ")", true));
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      post(() -> drop(this, "connection failed: " + rootMessage(error), true));
    }
  }
}
