package io.lockstep.client;

import io.lockstep.client.store.ReplicaStore;
import io.lockstep.domain.Item;
import io.lockstep.domain.Op;
import io.lockstep.domain.Order;
import io.lockstep.domain.OrderState;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A point-of-sale device's connection to Lockstep: a local replica of its merchant that the app
 * reads and mutates offline or online, a durable outbox, and a WebSocket session that keeps both in
 * step with the server.
 *
 * <p><b>Mutations.</b> Each mutation method assigns the device's next counter (never reused: the
 * counter is persisted before the method returns), takes the record's current version vector as
 * base (own pending mutations included) and a hybrid logical timestamp, applies it to the replica
 * and appends it to the outbox; it is sent when connected. A mutation the replica itself refuses
 * (unknown item, order already paid…) throws {@link IllegalArgumentException} and consumes nothing.
 *
 * <p><b>Sync.</b> The replica holds the server's resolved records; every server change replaces
 * its record, then the device's own unacknowledged mutations are re-applied on top. Acks remove
 * mutations from the outbox; a rejection is reported to the {@link ClientListener}. After a
 * reconnect (jittered exponential backoff) the client says {@code Hello} with its last applied seq
 * and resends its whole outbox in counter order with the original counters, in bounded pushes.
 * Nothing the server sends is skipped: a change or snapshot the client cannot read makes it drop
 * its records and resync from seq 0 ({@link ClientListener#onResync}); a frame over
 * {@link ClientConfig#maxFrameBytes} closes the connection ({@link ClientListener#onProtocolError}).
 *
 * <p><b>Persistence.</b> Replica, outbox, last applied seq and next counter live in one SQLite
 * store; each event writes what it changed in one durable transaction, a new mutation before it is
 * sent, acks and changes within 50 ms. A new client on the same store continues where the last
 * one stopped. Not started ({@link ConnectionState#OFFLINE}) a client works on its store alone.
 *
 * <p><b>Threads.</b> One event thread per client owns all state, the store and the socket;
 * mutation methods hand their work to it and wait. Getters read an immutable {@link ClientView}
 * published after each event and never block. The listener runs on a separate thread, so it may
 * call the client. Thread-safe.
 */
public final class LockstepClient implements AutoCloseable {

  private final String deviceId;
  private final ExecutorService listenerThread;
  private final ScheduledExecutorService eventThread;
  private final SyncSession session;
  private final Object viewMonitor = new Object();
  private volatile Thread eventThreadRef;
  private volatile Thread listenerThreadRef;
  private volatile ClientView view;

  private LockstepClient(ClientConfig config) {
    this.deviceId = config.deviceId();
    this.eventThread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lockstep-client-" + deviceId);
      t.setDaemon(true);
      eventThreadRef = t;
      return t;
    });
    this.listenerThread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "lockstep-client-" + deviceId + "-listener");
      t.setDaemon(true);
      listenerThreadRef = t;
      return t;
    });
    ReplicaStore store = ReplicaStore.open(config.storePath());
    HttpClient http = config.httpClient().orElseGet(() ->
        HttpClient.newBuilder().connectTimeout(config.connectTimeout()).build());
    try {
      this.session = new SyncSession(config, http, store, eventThread,
          new ListenerDispatch(config.listener(), listenerThread), this::publish);
      onEventThread(() -> {
        session.load();
        return null;
      });
    } catch (RuntimeException e) {
      eventThread.shutdownNow();
      listenerThread.shutdownNow();
      store.close();
      throw e;
    }
  }

  /**
   * Opens a client on its store, offline; call {@link #start()} to connect. A store of an older
   * format is migrated first.
   *
   * @throws IllegalStateException when the store is in use, belongs to another device or cannot
   *     be read
   */
  public static LockstepClient open(ClientConfig config) {
    return new LockstepClient(Objects.requireNonNull(config, "config"));
  }

  // ---- life cycle ----------------------------------------------------------------------------

  /** Starts connecting (and reconnecting) to the server. Idempotent; not after {@link #close()}. */
  public void start() {
    onEventThread(() -> {
      session.start();
      return null;
    });
  }

  /**
   * Closes the connection, writes the store and releases it. Pending mutations stay in the store for
   * the next client on it. Idempotent.
   */
  @Override
  public void close() {
    if (eventThread.isShutdown()) {
      return;
    }
    try {
      onEventThread(() -> {
        session.close();
        return null;
      });
    } catch (IllegalStateException closedMeanwhile) {
      return;
    } finally {
      eventThread.shutdown();
    }
    awaitTermination(eventThread);
    listenerThread.shutdown();
    if (Thread.currentThread() == listenerThreadRef) {
      return; // closing from our own listener: its thread ends after this call returns
    }
    awaitTermination(listenerThread);
  }

  private static void awaitTermination(ExecutorService executor) {
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits until the server has welcomed this client; false if {@code timeout} passed first. */
  public boolean awaitConnected(Duration timeout) throws InterruptedException {
    return await(v -> v.connectionState() == ConnectionState.CONNECTED, timeout);
  }

  /**
   * Waits until the client is connected, its outbox is empty and it has applied every change up to
   * the server head it knows ({@link ClientView#settled()}); false if {@code timeout} passed first.
   */
  public boolean awaitSettled(Duration timeout) throws InterruptedException {
    return await(ClientView::settled, timeout);
  }

  /**
   * Waits until this device has applied every change up to {@code seq} and written it to its
   * store (what it reports to the server's sync barrier); false if {@code timeout} passed first.
   */
  public boolean awaitApplied(long seq, Duration timeout) throws InterruptedException {
    return await(v -> v.storedSeq() >= seq, timeout);
  }

  /** Waits until {@code condition} holds for the published view; false on timeout. */
  public boolean await(Predicate<ClientView> condition, Duration timeout)
      throws InterruptedException {
    Objects.requireNonNull(condition, "condition");
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (viewMonitor) {
      while (!condition.test(view)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(viewMonitor, left);
      }
      return true;
    }
  }

  // ---- mutations -----------------------------------------------------------------------------

  /** Adds {@code delta} (negative: a sale) to the item's stock; returns the mutation's counter. */
  public long adjustStock(String itemId, long delta) {
    return submit(new Op.AdjustStock(itemId, delta));
  }

  /** Records a stock take of {@code count}; returns the mutation's counter. */
  public long setStock(String itemId, long count) {
    return submit(new Op.SetStock(itemId, count));
  }

  /** Creates or edits an item; a {@code null} field is left as it is. Returns the counter. */
  public long upsertItem(String itemId, String name, String sku, Long priceCents) {
    return submit(new Op.UpsertItem(itemId, name, sku, priceCents));
  }

  /** Deletes an item; returns the counter. */
  public long deleteItem(String itemId) {
    return submit(new Op.DeleteItem(itemId));
  }

  /** Opens an order; returns the counter. */
  public long openOrder(String orderId) {
    return submit(new Op.OpenOrder(orderId));
  }

  /** Adds a line to an open order; returns the counter. */
  public long addLine(String orderId, String lineId, String itemId, long quantity,
      long priceCents) {
    return submit(new Op.AddLine(orderId, lineId, itemId, quantity, priceCents));
  }

  /** Removes a line the device has seen; returns the counter. */
  public long removeLine(String orderId, String lineId) {
    return submit(new Op.RemoveLine(orderId, lineId));
  }

  /** Moves an order forward (OPEN, LOCKED, PAID, REFUNDED; OPEN to VOIDED); returns the counter. */
  public long setOrderState(String orderId, OrderState state) {
    return submit(new Op.SetOrderState(orderId, state));
  }

  /** Records a payment; returns the counter. */
  public long addPayment(String orderId, String paymentId, long amountCents) {
    return submit(new Op.AddPayment(orderId, paymentId, amountCents));
  }

  /**
   * Submits any op: assigns the next counter, applies it to the replica, persists it and queues it
   * for sending. Returns the counter.
   *
   * @throws IllegalArgumentException when the replica refuses the op (the reason is the message);
   *     no counter is consumed
   * @throws IllegalStateException after {@link #close()}
   */
  public long submit(Op op) {
    Objects.requireNonNull(op, "op");
    return onEventThread(() -> session.submit(op));
  }

  // ---- reads ---------------------------------------------------------------------------------

  public String deviceId() {
    return deviceId;
  }

  /** The current snapshot of everything below; immutable. */
  public ClientView view() {
    return view;
  }

  /** Items as the device shows them (resolved records plus own pending mutations). */
  public SortedMap<String, Item> items() {
    return view.items();
  }

  /** Orders as the device shows them (resolved records plus own pending mutations). */
  public SortedMap<String, Order> orders() {
    return view.orders();
  }

  public Optional<Item> item(String itemId) {
    return Optional.ofNullable(view.items().get(itemId));
  }

  public Optional<Order> order(String orderId) {
    return Optional.ofNullable(view.orders().get(orderId));
  }

  /** Own mutations not yet settled (unacknowledged, or acknowledged with the change on its way). */
  public int pendingCount() {
    return view.pending();
  }

  /** Seq of the last server change or snapshot applied. */
  public long lastAppliedSeq() {
    return view.lastAppliedSeq();
  }

  public ConnectionState connectionState() {
    return view.connectionState();
  }

  // ---- plumbing ------------------------------------------------------------------------------

  private void publish(ClientView next) {
    synchronized (viewMonitor) {
      view = next;
      viewMonitor.notifyAll();
    }
  }

  /** Runs {@code task} on the event thread and returns its result, rethrowing its exception. */
  private <T> T onEventThread(Callable<T> task) {
    if (Thread.currentThread() == eventThreadRef) {
      try {
        return task.call();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    try {
      return eventThread.submit(task).get();
    } catch (RejectedExecutionException e) {
      throw new IllegalStateException("client " + deviceId + " is closed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for client " + deviceId, e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
  }
}
