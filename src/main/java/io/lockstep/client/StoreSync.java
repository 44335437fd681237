package io.lockstep.client;

import io.lockstep.client.store.ReplicaStore;
import io.lockstep.client.store.StoreChange;
import io.lockstep.client.v1.ClientStore;
import io.lockstep.client.v1.PendingMutation;
import io.lockstep.domain.Authority;
import io.lockstep.domain.DomainRecord;
import io.lockstep.domain.Item;
import io.lockstep.domain.MerchantState;
import io.lockstep.domain.Order;
import io.lockstep.serialization.DeviceProtocolMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The session's side of the store: which records and outbox entries changed since the last write,
 * written as one {@link StoreChange}, so a write costs what changed, not what the store holds.
 *
 * <p>{@link #writeNow} is for what must be durable before it is sent or reported (a new mutation,
 * a resync); {@link #writeSoon} batches acks, changes and snapshots for at most {@link #FLUSH_DELAY}.
 * Runs on the client's event thread only.
 */
final class StoreSync implements AutoCloseable {

  /** Longest time an ack, change or snapshot stays only in memory. */
  static final Duration FLUSH_DELAY = Duration.ofMillis(50);

  /** What a store held when the client opened it, in domain form. */
  record Loaded(LocalReplica replica, long nextCounter, String merchantId) {}

  private final ReplicaStore store;
  private final String deviceId;
  private final ScheduledExecutorService eventThread;
  private final Runnable onDue;
  private final Set<String> changedItems = new HashSet<>();
  private final Set<String> changedOrders = new HashSet<>();
  private boolean recordsReplaced;
  private Map<Long, PendingEntry> storedPending = Map.of();
  private long storedSeq;
  private ScheduledFuture<?> due;
  private boolean closed;

  /** @param onDue runs on the event thread when a {@link #writeSoon} falls due; it writes */
  StoreSync(ReplicaStore store, String deviceId, ScheduledExecutorService eventThread,
      Runnable onDue) {
    this.store = store;
    this.deviceId = deviceId;
    this.eventThread = eventThread;
    this.onDue = onDue;
  }

  /**
   * Reads the store; empty for a device that never wrote one.
   *
   * @throws IllegalStateException when the store belongs to another device or is damaged
   */
  Optional<Loaded> load() {
    Optional<ClientStore> stored = store.read();
    if (stored.isEmpty()) {
      return Optional.empty();
    }
    ClientStore s = stored.get();
    if (!s.getDeviceId().isEmpty() && !s.getDeviceId().equals(deviceId)) {
      throw new IllegalStateException("store " + store.path() + " belongs to device '"
          + s.getDeviceId() + "', not '" + deviceId + "'");
    }
    try {
      List<Item> items = s.getItemsList().stream().map(DeviceProtocolMapper::toDomain).toList();
      List<Order> orders = s.getOrdersList().stream().map(DeviceProtocolMapper::toDomain).toList();
      List<PendingEntry> pending = s.getPendingList().stream()
          .map(p -> new PendingEntry(p.getMutation(),
              DeviceProtocolMapper.toDomain(deviceId, Authority.DEVICE, p.getMutation()),
              p.getAcknowledged(), p.getSettleSeq()))
          .toList();
      LocalReplica replica = LocalReplica.restore(s.getLastAppliedSeq(), items, orders, pending);
      storedPending = byCounter(pending);
      storedSeq = s.getLastAppliedSeq();
      return Optional.of(new Loaded(replica, Math.max(1, s.getNextCounter()), s.getMerchantId()));
    } catch (RuntimeException e) { // InvalidMutationException and the domain's argument checks
      throw new IllegalStateException("store " + store.path() + " is damaged: " + e.getMessage(), e);
    }
  }

  /** The applied seq the store holds. */
  long storedSeq() {
    return storedSeq;
  }

  /** The server resolved {@code record} anew. */
  void recordChanged(DomainRecord record) {
    (record instanceof Item ? changedItems : changedOrders).add(record.recordId());
  }

  /** A snapshot or a resync replaced every record. */
  void recordsReplaced() {
    recordsReplaced = true;
    changedItems.clear();
    changedOrders.clear();
  }

  /** Asks for a write within {@link #FLUSH_DELAY}, through {@code onDue}. */
  void writeSoon() {
    if (due == null && !closed) {
      due = eventThread.schedule(onDue, FLUSH_DELAY.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  /** Writes what changed since the last write, in one transaction; returns once durable. */
  void writeNow(LocalReplica replica, String merchantId, long nextCounter) {
    cancelDue();
    MerchantState confirmed = replica.confirmed();
    List<io.lockstep.protocol.v1.Item> items = new ArrayList<>();
    List<io.lockstep.protocol.v1.Order> orders = new ArrayList<>();
    if (recordsReplaced) {
      confirmed.items().values().forEach(i -> items.add(DeviceProtocolMapper.toProto(i)));
      confirmed.orders().values().forEach(o -> orders.add(DeviceProtocolMapper.toProto(o)));
    } else {
      changedItems.stream().map(confirmed.items()::get).filter(i -> i != null)
          .forEach(i -> items.add(DeviceProtocolMapper.toProto(i)));
      changedOrders.stream().map(confirmed.orders()::get).filter(o -> o != null)
          .forEach(o -> orders.add(DeviceProtocolMapper.toProto(o)));
    }
    Map<Long, PendingEntry> pending = byCounter(replica.pending());
    List<PendingMutation> written = new ArrayList<>();
    pending.forEach((counter, e) -> {
      if (!e.equals(storedPending.get(counter))) {
        written.add(PendingMutation.newBuilder().setMutation(e.wire())
            .setAcknowledged(e.acknowledged()).setSettleSeq(e.settleSeq()).build());
      }
    });
    List<Long> settled = storedPending.keySet().stream().filter(c -> !pending.containsKey(c))
        .toList();
    store.write(new StoreChange(deviceId, merchantId, replica.appliedSeq(), nextCounter,
        recordsReplaced, items, orders, written, settled));
    recordsReplaced = false;
    changedItems.clear();
    changedOrders.clear();
    storedPending = pending;
    storedSeq = replica.appliedSeq();
  }

  private static Map<Long, PendingEntry> byCounter(List<PendingEntry> entries) {
    Map<Long, PendingEntry> map = new HashMap<>();
    entries.forEach(e -> map.put(e.counter(), e));
    return map;
  }

  private void cancelDue() {
    if (due != null) {
      due.cancel(false);
      due = null;
    }
  }

  /** Stops a pending {@link #writeSoon} and closes the store; write first what must stay. */
  @Override
  public void close() {
    closed = true;
    cancelDue();
    store.close();
  }
}
