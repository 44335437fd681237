package io.lockstep.load;

import io.lockstep.protocol.v1.Mutation;
import io.lockstep.testing.history.History;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One simulated merchant: its devices and what the server must hold once every acknowledged
 * mutation is in (stock per item, the ids of acknowledged sales), to count {@code lost}.
 */
final class Merchant {
  final String id;
  final List<String> itemIds;
  final List<Device> devices = new CopyOnWriteArrayList<>();
  final Map<String, Device> byDeviceId = new ConcurrentHashMap<>();
  final Map<String, AtomicLong> expectedStock = new ConcurrentHashMap<>();
  final Set<String> expectedOrders = ConcurrentHashMap.newKeySet();
  /** Decodes what its devices receive, each frame of changes once ({@link SharedFrames}). */
  final SharedFrames frames = new SharedFrames();
  /** What its devices pushed, were acknowledged and received, for the history checker; null: not recorded. */
  final History history;

  Merchant(String id, int items, boolean recordHistory) {
    this.id = id;
    this.history = recordHistory ? new History() : null;
    this.itemIds = java.util.stream.IntStream.range(0, items).mapToObj(i -> "item-" + i).toList();
    itemIds.forEach(item -> expectedStock.put(item, new AtomicLong()));
  }

  /**
   * Mutations a device dropped from its outbox because Welcome.last_counter covered them, without
   * ever seeing their ack: stored or not, they are not "acknowledged", so they only widen the
   * range the final state may be in (and an absent one is reported apart from {@code lost}).
   */
  final List<Mutation> droppedUnacknowledged = new CopyOnWriteArrayList<>();

  void add(Device device) {
    devices.add(device);
    byDeviceId.put(device.deviceId, device);
  }

  /** A mutation the server acknowledged as stored (ACCEPTED or DUPLICATE). */
  void stored(Mutation m) {
    switch (m.getOpCase()) {
      case ADJUST_STOCK -> expectedStock
          .computeIfAbsent(m.getAdjustStock().getItemId(), k -> new AtomicLong())
          .addAndGet(m.getAdjustStock().getDelta());
      case OPEN_ORDER -> expectedOrders.add(m.getOpenOrder().getOrderId());
      default -> { }
    }
  }
}
