package io.lockstep.merchant;

import io.lockstep.domain.DomainRecord;
import io.lockstep.domain.Item;
import io.lockstep.domain.MerchantState;
import io.lockstep.domain.Mutation;
import io.lockstep.domain.Order;
import io.lockstep.domain.Outcome;
import io.lockstep.ops.v1.HistoryDiff;
import io.lockstep.ops.v1.MerchantHistory;
import io.lockstep.ops.v1.RecordChange;
import io.lockstep.ops.v1.RuleDrift;
import io.lockstep.ops.v1.RuleDriftReport;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.storage.v1.MutationRecorded;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A merchant rebuilt from its journal, event by event, as its entity recovers: every stored
 * mutation resolved with today's merge rules, in seq order. Fed the journal from seq 1 (the
 * events are never deleted), it answers what the merchant was at any seq up to {@code toSeq},
 * what changed between two seqs, and where today's rules decide a stored mutation differently
 * from what was stored, acknowledged and fanned out (rule drift). No Pekko: the caller reads the
 * journal.
 */
public final class MerchantReplay {
  private final String merchantId;
  private final long fromSeq;
  private final long toSeq;
  private MerchantState state = MerchantState.empty();
  private MerchantState atFrom;
  private final SortedMap<String, List<Long>> touchedAfterFrom = new TreeMap<>();
  private final List<RuleDrift> drifts = new ArrayList<>();
  private long checked;
  private long headSeq;

  /** Replays up to {@code toSeq}, remembering the state at {@code fromSeq} for {@link #diff()}. */
  public MerchantReplay(String merchantId, long fromSeq, long toSeq) {
    if (fromSeq < 0 || toSeq < fromSeq) {
      throw new IllegalArgumentException("need 0 <= from <= to, got " + fromSeq + " and " + toSeq);
    }
    this.merchantId = Objects.requireNonNull(merchantId, "merchantId");
    this.fromSeq = fromSeq;
    this.toSeq = toSeq;
    if (fromSeq == 0) atFrom = state;
  }

  /** Replays up to {@code toSeq}. */
  public static MerchantReplay upTo(String merchantId, long toSeq) {
    return new MerchantReplay(merchantId, 0, toSeq);
  }

  /**
   * Applies the next stored event (they come in seq order, from 1, without a hole); events after
   * {@code toSeq} only count towards {@link #headSeq()}.
   *
   * @throws IllegalStateException when an event is missing or out of order
   */
  public MerchantReplay accept(MutationRecorded event) {
    headSeq = Math.max(headSeq, event.getSeq());
    if (event.getSeq() > toSeq) return this;
    if (event.getSeq() != state.headSeq() + 1) {
      throw new IllegalStateException("journal of " + merchantId + ": seq " + event.getSeq()
          + " follows " + state.headSeq());
    }
    Mutation mutation = RecordedEvents.mutationOf(event);
    Outcome today = state.apply(event.getSeq(), mutation);
    checked++;
    Change stored = ChangeFrames.toChange(event);
    Optional<Change> decided = changeOf(event, today);
    if (decided.map(c -> !sameDecision(c, stored)).orElse(true)) {
      RuleDrift.Builder drift = RuleDrift.newBuilder()
          .setSeq(event.getSeq())
          .setRecordId(mutation.op().recordId())
          .setDeviceId(event.getDeviceId())
          .setCounter(event.getMutation().getCounter())
          .setStoredStatus(stored.getStatus())
          .setTodayStatus(statusOf(today))
          .setStored(stored);
      decided.ifPresent(drift::setToday);
      drifts.add(drift.build());
    }
    // The state follows today's rules, as the entity's recovery does; a mutation they would not
    // store still takes its seq and counter (it is in the journal), its record unchanged.
    state = today.stored() ? today.state() : state.recorded(event.getSeq(), event.getDeviceId(),
        event.getMutation().getCounter(), Optional.empty(), List.of());
    if (event.getSeq() == fromSeq) atFrom = state;
    if (event.getSeq() > fromSeq) {
      touchedAfterFrom.computeIfAbsent(mutation.op().recordId(), id -> new ArrayList<>()).add(event.getSeq());
    }
    return this;
  }

  /** The last seq seen in the journal, also beyond {@code toSeq}. */
  public long headSeq() {
    return headSeq;
  }

  /** The merchant at {@code toSeq}, or at the journal's end when it ends before. */
  public MerchantState state() {
    return state;
  }

  /** {@link #state()} in the proto3 JSON shape operators read. */
  public MerchantHistory history() {
    MerchantHistory.Builder history = MerchantHistory.newBuilder()
        .setMerchantId(merchantId)
        .setSeq(state.headSeq())
        .setHeadSeq(headSeq);
    state.items().values().forEach(item -> history.addItems(DeviceProtocolMapper.toProto(item)));
    state.orders().values().forEach(order -> history.addOrders(DeviceProtocolMapper.toProto(order)));
    state.conflicts().forEach(conflict -> history.addConflicts(DeviceProtocolMapper.toProto(conflict)));
    return history.build();
  }

  /**
   * Each record whose resolved state at {@code toSeq} differs from the one at {@code fromSeq}, by
   * record id, with the seqs in between that stored a mutation of it.
   *
   * @throws IllegalStateException when the journal ends before {@code fromSeq}
   */
  public HistoryDiff diff() {
    if (atFrom == null) {
      throw new IllegalStateException("the journal of " + merchantId + " ends at " + headSeq + ", before " + fromSeq);
    }
    HistoryDiff.Builder diff = HistoryDiff.newBuilder()
        .setMerchantId(merchantId)
        .setFromSeq(fromSeq)
        .setToSeq(state.headSeq());
    for (Map.Entry<String, List<Long>> touched : touchedAfterFrom.entrySet()) {
      String id = touched.getKey();
      RecordChange.Builder change = RecordChange.newBuilder().setRecordId(id).addAllSeqs(touched.getValue());
      atFrom.item(id).ifPresent(item -> change.setItemBefore(DeviceProtocolMapper.toProto(item)));
      atFrom.order(id).ifPresent(order -> change.setOrderBefore(DeviceProtocolMapper.toProto(order)));
      state.item(id).ifPresent(item -> change.setItemAfter(DeviceProtocolMapper.toProto(item)));
      state.order(id).ifPresent(order -> change.setOrderAfter(DeviceProtocolMapper.toProto(order)));
      boolean same = change.hasItemBefore() == change.hasItemAfter() && change.hasOrderBefore() == change.hasOrderAfter()
          && change.getItemBefore().equals(change.getItemAfter()) && change.getOrderBefore().equals(change.getOrderAfter());
      if (!same) diff.addChanges(change);
    }
    return diff.build();
  }

  /** Every stored mutation up to {@code toSeq} that today's rules decide differently. */
  public RuleDriftReport drift() {
    return RuleDriftReport.newBuilder().setMerchantId(merchantId).setChecked(checked).addAllDrifts(drifts).build();
  }

  /** What today's rules would have stored for {@code event}: empty when they would store nothing. */
  private static Optional<Change> changeOf(MutationRecorded event, Outcome today) {
    if (!today.stored()) return Optional.empty();
    Change.Builder change = Change.newBuilder()
        .setSeq(event.getSeq())
        .setDeviceId(event.getDeviceId())
        .setCounter(event.getMutation().getCounter())
        .setMutation(event.getMutation())
        .setStatus(statusOf(today));
    DomainRecord record = today instanceof Outcome.Accepted accepted ? accepted.record()
        : recordOf(today.state(), RecordedEvents.mutationOf(event));
    if (record instanceof Item item) change.setItem(DeviceProtocolMapper.toProto(item));
    if (record instanceof Order order) change.setOrder(DeviceProtocolMapper.toProto(order));
    Optional<io.lockstep.domain.Conflict> conflict = today instanceof Outcome.Accepted accepted ? accepted.conflict()
        : ((Outcome.Rejected) today).conflict();
    conflict.ifPresent(c -> change.setConflict(DeviceProtocolMapper.toProto(c)));
    return Optional.of(change.build());
  }

  private static boolean sameDecision(Change today, Change stored) {
    return today.getStatus() == stored.getStatus()
        && today.getItem().equals(stored.getItem())
        && today.getOrder().equals(stored.getOrder())
        && today.getConflict().equals(stored.getConflict());
  }

  private static AckStatus statusOf(Outcome outcome) {
    if (outcome instanceof Outcome.Accepted) return AckStatus.ACCEPTED;
    if (outcome instanceof Outcome.Rejected) return AckStatus.REJECTED;
    return AckStatus.DUPLICATE;
  }

  private static DomainRecord recordOf(MerchantState state, Mutation mutation) {
    String id = mutation.op().recordId();
    DomainRecord order = state.orders().get(id);
    return order != null ? order : state.items().get(id);
  }
}
