package io.lockstep.client;

import io.lockstep.domain.DomainRecord;
import io.lockstep.domain.Item;
import io.lockstep.domain.MerchantState;
import io.lockstep.domain.Mutation;
import io.lockstep.domain.Op;
import io.lockstep.domain.Order;
import io.lockstep.domain.Outcome;
import io.lockstep.domain.VersionVector;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The device's copy of its merchant: the server's resolved records ({@link #confirmed()}) with the
 * device's own pending mutations re-applied on top, in counter order ({@link #view()}).
 *
 * <p>A pending mutation stays until the confirmed records include it: an acknowledged one until the
 * replica has applied the seq it was stored at ({@link PendingEntry#settleSeq()}), so the view does
 * not flicker between an ack and its change. Re-applying a mutation the confirmed record already
 * covers changes nothing ({@link MerchantState#applyLocal} answers {@code Duplicate}).
 *
 * <p>Immutable; every change returns a copy. Known cost: the view is recomputed from the confirmed
 * records on each change, O(pending x records).
 */
final class LocalReplica {

  private final MerchantState confirmed;
  private final List<PendingEntry> pending;
  private final MerchantState view;

  private LocalReplica(MerchantState confirmed, List<PendingEntry> pending) {
    this.confirmed = confirmed;
    this.pending = List.copyOf(pending);
    MerchantState optimistic = confirmed;
    for (PendingEntry entry : this.pending) {
      optimistic = optimistic.applyLocal(entry.mutation()).state();
    }
    this.view = optimistic;
  }

  /** A replica that has never synced and has nothing pending. */
  static LocalReplica empty() {
    return new LocalReplica(MerchantState.empty(), List.of());
  }

  /** A replica from stored parts: resolved records at {@code seq} and pending mutations. */
  static LocalReplica restore(long seq, Collection<Item> items, Collection<Order> orders,
      List<PendingEntry> pending) {
    return new LocalReplica(resolvedState(seq, items, orders), pending);
  }

  private static MerchantState resolvedState(long seq, Collection<Item> items,
      Collection<Order> orders) {
    return MerchantState.restore(items.stream().map(Item::resolvedView).toList(),
        orders.stream().map(Order::resolvedView).toList(), seq, Map.of(), List.of(), 0);
  }

  MerchantState confirmed() {
    return confirmed;
  }

  /** Confirmed records plus pending mutations; records may carry merge metadata. */
  MerchantState view() {
    return view;
  }

  List<PendingEntry> pending() {
    return pending;
  }

  /** Seq of the last change or snapshot applied. */
  long appliedSeq() {
    return confirmed.headSeq();
  }

  /** The base a new mutation of {@code op}'s record carries: its version including own pending. */
  VersionVector baseFor(Op op) {
    return view.record(op).map(DomainRecord::version).orElse(VersionVector.EMPTY);
  }

  /** What applying {@code m} on top of the current view would do. */
  Outcome tryApply(Mutation m) {
    return view.applyLocal(m);
  }

  /** This replica with a new own mutation pending (after the ones there are). */
  LocalReplica withPending(PendingEntry entry) {
    List<PendingEntry> next = new ArrayList<>(pending);
    next.add(entry);
    return new LocalReplica(confirmed, next);
  }

  /** This replica with the server's resolved record stored at {@code seq}. */
  LocalReplica withChange(long seq, Optional<DomainRecord> resolved) {
    MerchantState next = resolved.map(r -> confirmed.withResolved(seq, r))
        .orElseGet(() -> resolvedState(seq, confirmed.items().values(),
            confirmed.orders().values()));
    return new LocalReplica(next, pending).settled();
  }

  /** This replica replaced by a server snapshot at {@code seq}; pending mutations are kept. */
  LocalReplica withSnapshot(long seq, Collection<Item> items, Collection<Order> orders) {
    return new LocalReplica(resolvedState(seq, items, orders), pending).settled();
  }

  /** This replica for a full resync: no records at seq 0; pending mutations are kept. */
  LocalReplica cleared() {
    return new LocalReplica(MerchantState.empty(), pending);
  }

  /** This replica with every pending entry passed through {@code update}, then settled. */
  LocalReplica mapPending(UnaryOperator<PendingEntry> update) {
    List<PendingEntry> next = pending.stream().map(update).toList();
    return next.equals(pending) ? this : new LocalReplica(confirmed, next).settled();
  }

  /** Drops acknowledged entries whose stored change the confirmed records already include. */
  private LocalReplica settled() {
    List<PendingEntry> kept = pending.stream()
        .filter(e -> !e.acknowledged() || e.settleSeq() > confirmed.headSeq())
        .toList();
    return kept.size() == pending.size() ? this : new LocalReplica(confirmed, kept);
  }
}
