package io.lockstep.client;

import io.lockstep.domain.Item;
import io.lockstep.domain.Order;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An immutable snapshot of a client: its replica as the app shows it (resolved records with the
 * device's pending mutations on top), how many own mutations are pending, the last merchant seq
 * applied, the server's head seq as last known, and the connection state.
 *
 * @param items by item id, deleted items included (see {@link Item#deleted()})
 * @param orders by order id
 * @param pending own mutations not yet acknowledged, or acknowledged but whose change has not
 *     arrived yet
 * @param unacknowledged own mutations the server has not acknowledged (the outbox)
 * @param lastAppliedSeq seq of the last change or snapshot applied; 0 before the first sync
 * @param knownHeadSeq highest merchant seq known from Welcome or acks
 * @param storedSeq the applied seq written to the device's store (reported to the server's sync
 *     barrier); trails {@code lastAppliedSeq} by at most one store flush
 */
public record ClientView(
    SortedMap<String, Item> items,
    SortedMap<String, Order> orders,
    int pending,
    int unacknowledged,
    long lastAppliedSeq,
    long knownHeadSeq,
    ConnectionState connectionState,
    long storedSeq) {

  public ClientView {
    items = Collections.unmodifiableSortedMap(new TreeMap<>(items));
    orders = Collections.unmodifiableSortedMap(new TreeMap<>(orders));
    Objects.requireNonNull(connectionState, "connectionState");
  }

  /**
   * Connected, nothing pending, and every change up to the known head applied; a replica ahead of
   * the server's head (waiting for the snapshot that resets it) is not settled.
   */
  public boolean settled() {
    return connectionState == ConnectionState.CONNECTED && pending == 0
        && lastAppliedSeq == knownHeadSeq;
  }
}
