package io.lockstep.testing.history;

import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.Item;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Order;
import io.lockstep.protocol.v1.ServerFrame;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one merchant's devices did and saw during a test, for {@link HistoryChecker}: per device,
 * in the order it happened there, each connect, push, ack, change and snapshot; at the end each
 * device's replica and the server's authoritative order and state.
 *
 * <p>Thread-safe: every device may record from its own thread. Events of one device keep the
 * order in which that device recorded them; events of different devices are not ordered. Getters
 * return unmodifiable snapshots.
 */
public final class History {

  /** A mutation's dot: the device that wrote it and its counter. */
  public record Dot(String device, long counter) {
    @Override
    public String toString() {
      return device + "#" + counter;
    }
  }

  /** One position of the merchant's order: {@code seq} was given to {@code dot}. */
  public record Ordered(long seq, Dot dot) {}

  /** Something one device did or saw. */
  public sealed interface Event {}

  /** A connection said Hello with {@code afterSeq}; delivery is expected from {@code afterSeq + 1}. */
  public record Connected(long afterSeq) implements Event {}

  public record Pushed(long counter, String op) implements Event {}

  public record Acked(long counter, AckStatus status, long seq) implements Event {}

  public record Received(long seq, Dot origin) implements Event {}

  /** A whole snapshot (its last chunk) at {@code seq}: delivery continues from {@code seq + 1}. */
  public record SnapshotReceived(long seq) implements Event {}

  // All mutable state is guarded by this.
  private final Map<String, List<Event>> events = new LinkedHashMap<>();
  private final Map<String, Map<String, ?>> replicas = new LinkedHashMap<>();
  private List<Ordered> serverOrder;
  private Map<String, ?> serverState;

  public synchronized void connected(String device, long afterSeq) {
    log(device).add(new Connected(afterSeq));
  }

  public synchronized void pushed(String device, long counter, String op) {
    log(device).add(new Pushed(counter, op));
  }

  public void pushed(String device, Mutation mutation) {
    pushed(device, mutation.getCounter(), mutation.getOpCase().name());
  }

  public synchronized void acked(String device, long counter, AckStatus status, long seq) {
    log(device).add(new Acked(counter, status, seq));
  }

  public void acked(String device, Ack ack) {
    acked(device, ack.getCounter(), ack.getStatus(), ack.getSeq());
  }

  public synchronized void received(String device, long seq, String originDevice, long originCounter) {
    log(device).add(new Received(seq, new Dot(originDevice, originCounter)));
  }

  public void received(String device, Change change) {
    received(device, change.getSeq(), change.getDeviceId(), change.getCounter());
  }

  public synchronized void snapshot(String device, long seq) {
    log(device).add(new SnapshotReceived(seq));
  }

  /** Records what a frame the device received carries: acks, changes, a snapshot's last chunk. */
  public synchronized void observe(String device, ServerFrame frame) {
    if (frame.hasAck()) acked(device, frame.getAck());
    frame.getAcks().getAcksList().forEach(ack -> acked(device, ack));
    frame.getChanges().getChangesList().forEach(change -> received(device, change));
    if (frame.hasSnapshot() && frame.getSnapshot().getLast()) snapshot(device, frame.getSnapshot().getSeq());
  }

  /** A device's final replica: record id to a comparable value (a proto message, canonical bytes). */
  public synchronized void finalReplica(String device, Map<String, ?> records) {
    replicas.put(device, Map.copyOf(records));
  }

  /**
   * The server's authoritative order, every stored mutation from seq 1 (the change feed after 0,
   * or the journal). Without it the checker reconstructs the order from what devices received.
   */
  public synchronized void serverOrder(Collection<Ordered> order) {
    serverOrder = List.copyOf(order);
  }

  public void serverOrderFromChanges(Collection<Change> changes) {
    serverOrder(changes.stream().map(c -> new Ordered(c.getSeq(), new Dot(c.getDeviceId(), c.getCounter()))).toList());
  }

  /** The server's final state, keyed and valued like the replicas. */
  public synchronized void serverState(Map<String, ?> records) {
    serverState = Map.copyOf(records);
  }

  public synchronized Map<String, List<Event>> events() {
    Map<String, List<Event>> copy = new LinkedHashMap<>();
    events.forEach((device, log) -> copy.put(device, List.copyOf(log)));
    return Collections.unmodifiableMap(copy);
  }

  public synchronized Map<String, Map<String, ?>> finalReplicas() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(replicas));
  }

  public synchronized Optional<List<Ordered>> serverOrder() {
    return Optional.ofNullable(serverOrder);
  }

  public synchronized Optional<Map<String, ?>> serverState() {
    return Optional.ofNullable(serverState);
  }

  /** The key of an item in replicas and server state: {@code item/<id>}. */
  public static String key(Item item) {
    return "item/" + item.getItemId();
  }

  /** The key of an order in replicas and server state: {@code order/<id>}. */
  public static String key(Order order) {
    return "order/" + order.getOrderId();
  }

  private List<Event> log(String device) {
    return events.computeIfAbsent(device, d -> new ArrayList<>());
  }
}
