package io.lockstep.client;

import com.google.protobuf.InvalidProtocolBufferException;
import io.lockstep.client.store.ReplicaStore;
import io.lockstep.domain.Authority;
import io.lockstep.domain.Dot;
import io.lockstep.domain.Hlc;
import io.lockstep.domain.HybridLogicalClock;
import io.lockstep.domain.MerchantState;
import io.lockstep.domain.Mutation;
import io.lockstep.domain.Op;
import io.lockstep.domain.Outcome;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Hello;
import io.lockstep.protocol.v1.Push;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.protocol.v1.Snapshot;
import io.lockstep.protocol.v1.Welcome;
import io.lockstep.serialization.DeviceProtocolMapper;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

/**
 * The device protocol of one {@link LockstepClient}: what each frame means, over the connection
 * its {@link ServerLink} keeps, keeping the replica and the store ({@link StoreSync}) in step. Every
 * method runs on the client's event thread (transports post to it), so nothing here is
 * synchronized.
 *
 * <pre>
 *   event             does                                                    store
 *   submit(op)        counter, base, hlc; apply locally; outbox; pump        written now
 *   socket open       Hello{device_id, token, after_seq = applied seq}
 *   Welcome           drop outbox counters <= last_counter; CONNECTED; pump  written soon
 *   Ack               out of the outbox (REJECTED: tell the listener); pump  written soon
 *   Changes           per change in seq order: replace record, re-apply own  written soon
 *   Snapshot chunks   on the last one: replace the replica                   written soon
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
 * is written within {@link StoreSync#FLUSH_DELAY}: losing it in a crash only makes the server
 * resend changes (the seq and the records are always written together) or the client resend
 * mutations the server then drops as duplicates.
 */
final class SyncSession implements ServerLink.Protocol {

  private static final Set<String> FATAL_ERRORS = Set.of("unauthenticated", "device-mismatch");

  private final ClientConfig config;
  private final ListenerDispatch listener;
  private final Consumer<ClientView> publisher;
  private final HybridLogicalClock hlc;
  private final ServerLink link;
  private final StoreSync store;
  private final AppliedReports appliedReports;
  private final PushPacer pacer;

  private LocalReplica replica = LocalReplica.empty();
  private long nextCounter = 1;
  private long knownHeadSeq;
  private String merchantId = "";
  private ConnectionState state = ConnectionState.OFFLINE;
  private boolean recovering; // since an unreadable or oversize frame, until caught up again

  SyncSession(ClientConfig config, HttpClient http, ReplicaStore store,
      ScheduledExecutorService eventThread, ListenerDispatch listener,
      Consumer<ClientView> publisher) {
    this.config = config;
    this.listener = listener;
    this.publisher = publisher;
    this.hlc = new HybridLogicalClock(config.clock()::millis);
    this.link = new ServerLink(config, http, eventThread, this);
    this.store = new StoreSync(store, config.deviceId(), eventThread, this::writeStore);
    this.appliedReports = new AppliedReports(eventThread);
    this.pacer = new PushPacer(config.maxPushesPerSecond(), eventThread, this::pump);
  }

  // ---- life cycle ----------------------------------------------------------------------------

  /** Reads the store; a missing store is a device that never synced. */
  void load() {
    store.load().ifPresent(loaded -> {
      replica = loaded.replica();
      nextCounter = loaded.nextCounter();
      knownHeadSeq = replica.appliedSeq();
      merchantId = loaded.merchantId();
    });
    publish();
  }

  void start() {
    requireOpen();
    link.start();
  }

  void close() {
    if (state == ConnectionState.CLOSED) {
      return;
    }
    link.close();
    appliedReports.cancel();
    writeStore();
    store.close();
    setState(ConnectionState.CLOSED, "closed by the app");
  }

  private void requireOpen() {
    if (state == ConnectionState.CLOSED) {
      throw new IllegalStateException("client " + config.deviceId() + " is closed");
    }
  }

  // ---- mutations -----------------------------------------------------------------------------

  long submit(Op op) {
    requireOpen();
    Mutation m = new Mutation(new Dot(config.deviceId(), nextCounter), replica.baseFor(op),
        hlc.now(), Authority.DEVICE, op);
    if (replica.tryApply(m) instanceof Outcome.Rejected rejected) {
      throw new IllegalArgumentException(rejected.reason());
    }
    nextCounter++;
    replica = replica.withPending(new PendingEntry(DeviceProtocolMapper.toProto(m), m, false, 0));
    writeStore();
    pump();
    return m.dot().counter();
  }

  // ---- connection ----------------------------------------------------------------------------

  @Override
  public void onOpen(Connection c) {
    String token;
    try {
      token = config.token().get();
    } catch (RuntimeException e) {
      link.drop(c, "token supplier failed: " + e);
      return;
    }
    c.transport.send(ClientFrame.newBuilder().setHello(Hello.newBuilder()
        .setDeviceId(config.deviceId()).setToken(token).setAfterSeq(replica.appliedSeq())).build());
    c.reportedApplied = replica.appliedSeq(); // the server takes Hello.after_seq as applied
  }

  @Override
  public void onOversize(Connection c, int maxFrameBytes) {
    protocolError(c, "server frame over maxFrameBytes (" + maxFrameBytes + " bytes)");
  }

  /** Sends what the outbox holds beyond what this connection sent, within the push bounds. */
  private void pump() {
    Connection c = link.current();
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
    while (from < unsent.size() && c.pushesInFlight.size() < config.maxPushesInFlight()) {
      if (!pacer.tryAcquireOrRetry()) return; // what is written meanwhile goes in the next push
      int to = Math.min(unsent.size(), from + config.maxMutationsPerPush());
      List<io.lockstep.protocol.v1.Mutation> batch = unsent.subList(from, to);
      c.transport.send(ClientFrame.newBuilder()
          .setPush(Push.newBuilder().addAllMutations(batch)).build());
      c.sentUpTo = batch.get(batch.size() - 1).getCounter();
      c.pushesInFlight.addLast(c.sentUpTo);
      from = to;
    }
  }

  // ---- server frames -------------------------------------------------------------------------

  @Override
  public void onFrame(Connection c, byte[] bytes) {
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
    store.writeSoon();
    noteProgress(c);
    pump();
  }

  /** Resets the backoff once {@code c} is healthy: welcomed, and after a fault also caught up. */
  private void noteProgress(Connection c) {
    if (recovering && replica.appliedSeq() < c.catchUpTo) {
      return;
    }
    recovering = false;
    link.resetBackoff();
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
      store.writeSoon();
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
        link.drop(c, "gap in changes: expected seq " + (replica.appliedSeq() + 1) + ", got " + seq);
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
    read.record().ifPresent(store::recordChanged);
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
      store.writeSoon();
      publish();
      noteProgress(c);
    }
  }

  private void onSnapshot(Connection c, Snapshot chunk) {
    Optional<List<Snapshot>> whole = c.snapshotChunk(chunk);
    if (whole.isEmpty()) {
      return;
    }
    long seq = chunk.getSeq();
    try {
      replica = replica.withSnapshot(seq,
          whole.get().stream().flatMap(s -> s.getItemsList().stream())
              .map(DeviceProtocolMapper::toDomain).toList(),
          whole.get().stream().flatMap(s -> s.getOrdersList().stream())
              .map(DeviceProtocolMapper::toDomain).toList());
    } catch (RuntimeException e) { // InvalidMutationException and the domain's argument checks
      resync(c, "snapshot at seq " + seq + " cannot be read: " + e.getMessage());
      return;
    }
    store.recordsReplaced();
    knownHeadSeq = Math.max(knownHeadSeq, seq);
    listener.tell(l -> l.onSnapshot(seq));
    store.writeSoon();
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
    store.recordsReplaced();
    recovering = true;
    writeStore();
    listener.tell(l -> l.onResync(reason));
    link.drop(c, reason + "; resyncing from seq 0");
  }

  /** The server broke the protocol: nothing of the frame is used; reconnect after a backoff. */
  private void protocolError(Connection c, String reason) {
    if (c != link.current()) {
      return;
    }
    recovering = true;
    listener.tell(l -> l.onProtocolError(reason));
    link.drop(c, reason);
  }

  private void onError(Connection c, io.lockstep.protocol.v1.Error error) {
    String reason = "server error " + error.getCode() + ": " + error.getMessage();
    link.drop(c, reason, !FATAL_ERRORS.contains(error.getCode()),
        Duration.ofMillis(error.getRetryAfterMillis()));
  }

  // ---- store and view ------------------------------------------------------------------------

  private void writeStore() {
    store.writeNow(replica, merchantId, nextCounter);
    publish();
    Connection c = link.current();
    if (c != null && c.welcomed) {
      appliedReports.stored(c, store.storedSeq(), live -> live == link.current());
    }
  }

  @Override
  public void onState(ConnectionState next, String detail) {
    setState(next, detail);
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
        unacknowledged, replica.appliedSeq(), knownHeadSeq, state, store.storedSeq()));
  }
}
