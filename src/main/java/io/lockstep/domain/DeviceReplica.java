package io.lockstep.domain;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A device's copy of its merchant: the server's resolved records ({@link #confirmed()}) plus the
 * device's own pending mutations applied optimistically on top ({@link #view()}).
 *
 * <p>Rules that make a caught-up replica equal the server's {@link MerchantState#resolvedView()}:
 * resolved records replace the confirmed copy in seq order (older seqs are ignored); an ack of any
 * status removes the mutation from the pending list; the view is always recomputed from the
 * confirmed records by re-applying what is still pending ({@link MerchantState#applyLocal}), so a
 * pending mutation the server rejected leaves no trace once acknowledged. Immutable.
 */
public final class DeviceReplica {

  private final String deviceId;
  private final MerchantState confirmed;
  private final List<Mutation> pending;
  private final MerchantState view;

  private DeviceReplica(String deviceId, MerchantState confirmed, List<Mutation> pending) {
    this.deviceId = deviceId;
    this.confirmed = confirmed;
    this.pending = List.copyOf(pending);
    MerchantState optimistic = confirmed;
    for (Mutation m : this.pending) {
      optimistic = optimistic.applyLocal(m).state();
    }
    this.view = optimistic;
  }

  /** A replica that has never synced. */
  public static DeviceReplica create(String deviceId) {
    Objects.requireNonNull(deviceId, "deviceId");
    if (deviceId.isEmpty()) {
      throw new IllegalArgumentException("empty deviceId");
    }
    return new DeviceReplica(deviceId, MerchantState.empty(), List.of());
  }

  public String deviceId() {
    return deviceId;
  }

  /** The server's resolved records as last received. */
  public MerchantState confirmed() {
    return confirmed;
  }

  /** The records as the device shows them: confirmed plus pending. */
  public MerchantState view() {
    return view;
  }

  /** Own mutations not yet acknowledged, in counter order. */
  public List<Mutation> pending() {
    return pending;
  }

  /** The last merchant seq received (the {@code after_seq} of the next hello). */
  public long headSeq() {
    return confirmed.headSeq();
  }

  /** The version vector a new mutation of {@code op}'s record must carry as its base. */
  public VersionVector baseFor(Op op) {
    return view.record(op).map(DomainRecord::version).orElse(VersionVector.EMPTY);
  }

  /**
   * This replica with a new own mutation pending.
   *
   * @throws IllegalArgumentException when the dot is not this device's or its counter is not above
   *     the pending ones
   */
  public DeviceReplica submit(Mutation m) {
    Objects.requireNonNull(m, "mutation");
    if (!m.dot().deviceId().equals(deviceId)) {
      throw new IllegalArgumentException("dot of another device: " + m.dot());
    }
    if (!pending.isEmpty() && m.dot().counter() <= pending.get(pending.size() - 1).dot().counter()) {
      throw new IllegalArgumentException("counter not above pending ones: " + m.dot());
    }
    List<Mutation> next = new ArrayList<>(pending);
    next.add(m);
    return new DeviceReplica(deviceId, confirmed, next);
  }

  /** This replica after the server's resolved record stored at {@code seq}; old seqs change nothing. */
  public DeviceReplica withChange(long seq, DomainRecord resolved) {
    if (seq <= confirmed.headSeq()) {
      return this;
    }
    return new DeviceReplica(deviceId, confirmed.withResolved(seq, resolved), pending);
  }

  /** This replica replaced by a server snapshot at {@code seq} (pending mutations kept). */
  public DeviceReplica withSnapshot(long seq, Collection<? extends DomainRecord> records) {
    MerchantState state = MerchantState.empty();
    for (DomainRecord record : records) {
      state = state.withResolved(seq, record);
    }
    return new DeviceReplica(deviceId, state.atSeq(seq), pending);
  }

  /** This replica without the pending mutations at or below {@code counter} (acked, any status). */
  public DeviceReplica acknowledged(long counter) {
    List<Mutation> next = pending.stream().filter(m -> m.dot().counter() > counter).toList();
    return next.size() == pending.size() ? this : new DeviceReplica(deviceId, confirmed, next);
  }
}
