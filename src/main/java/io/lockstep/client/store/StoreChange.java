package io.lockstep.client.store;

import io.lockstep.client.v1.PendingMutation;
import io.lockstep.protocol.v1.Item;
import io.lockstep.protocol.v1.Order;
import java.util.List;
import java.util.Objects;

/**
 * What one event changed in a device's store, written as one transaction by
 * {@link ReplicaStore#write}: the device's counters and seq, the records the server resolved anew
 * (all of them after a snapshot or a resync: {@code replaceRecords}), and the outbox entries added,
 * changed or settled. A change costs what it holds, not what the store holds.
 *
 * @param deviceId the device the store belongs to
 * @param merchantId the merchant named by the last Welcome; empty before the first
 * @param lastAppliedSeq seq of the last server change or snapshot the records include
 * @param nextCounter the counter the next new mutation gets; never lowered
 * @param replaceRecords true: the stored records are dropped first and {@code items} and
 *     {@code orders} are all there is
 * @param items resolved items to store, replacing those with the same id
 * @param orders resolved orders to store, replacing those with the same id
 * @param pending outbox entries to store, replacing those with the same counter
 * @param settled counters of outbox entries to remove
 */
public record StoreChange(String deviceId, String merchantId, long lastAppliedSeq,
    long nextCounter, boolean replaceRecords, List<Item> items, List<Order> orders,
    List<PendingMutation> pending, List<Long> settled) {

  public StoreChange {
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(merchantId, "merchantId");
    if (lastAppliedSeq < 0) {
      throw new IllegalArgumentException("lastAppliedSeq < 0: " + lastAppliedSeq);
    }
    if (nextCounter < 1) {
      throw new IllegalArgumentException("nextCounter < 1: " + nextCounter);
    }
    items = List.copyOf(items);
    orders = List.copyOf(orders);
    pending = List.copyOf(pending);
    settled = List.copyOf(settled);
  }
}
