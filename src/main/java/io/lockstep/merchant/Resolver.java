package io.lockstep.merchant;

import static io.lockstep.merchant.RecordedEvents.ack;

import io.lockstep.domain.Conflict;
import io.lockstep.domain.DomainRecord;
import io.lockstep.domain.MerchantState;
import io.lockstep.domain.Mutation;
import io.lockstep.domain.Outcome;
import io.lockstep.merchant.MerchantEntity.Event;
import io.lockstep.merchant.MerchantEntity.MergeRules;
import io.lockstep.merchant.MerchantEntity.Push;
import io.lockstep.merchant.MerchantEntity.PushResult;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.serialization.InvalidMutationException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * Decides one batch of pushes: resolves their mutations against the merchant's state with the
 * merge rules, one by one in arrival order, into the events to store in one write, the state
 * after each stored event, and the answer to each push. Stores nothing itself.
 *
 * <p>A mutation is stored only when it resolved and encoded whole. An exception from the rules
 * or the encoding is a defect of ours, not of the writer: that mutation alone is rejected with
 * {@link MerchantEntity#INTERNAL_ERROR} (and logged), the rest of the batch is stored, and the
 * entity does not restart into the same mutation forever.
 */
final class Resolver {

  /** The answer to one push, sent once its batch's write commits. */
  record Answer(Push push, PushResult result) {}

  /**
   * What one stored event left: the state after it, the event as devices get it, the rule of the
   * conflict it resolved (if any) and the size of its encoded mutation (for the load figures).
   */
  record Stored(MerchantState state, ChangeFrames.Encoded change, Optional<String> conflictRule, int mutationBytes) {}

  /** One decided batch: {@code stored.get(i)} is what {@code events.get(i)} left. */
  record Resolution(List<Event> events, List<Stored> stored, List<Answer> answers) {
    Resolution {
      events = List.copyOf(events);
      stored = List.copyOf(stored);
      answers = List.copyOf(answers);
    }

    /** The stored events as devices get them, in seq order. */
    List<ChangeFrames.Encoded> changes() {
      return stored.stream().map(Stored::change).toList();
    }
  }

  private final String merchantId;
  private final MergeRules rules;
  // Asked only when a mutation fails: the entity's logger must be fetched on its own thread.
  private final Supplier<Logger> log;

  Resolver(String merchantId, MergeRules rules, Supplier<Logger> log) {
    this.merchantId = merchantId;
    this.rules = rules;
    this.log = log;
  }

  /** Decides {@code batch} against {@code state}; events are recorded at {@code nowMillis}. */
  Resolution resolve(MerchantState state, List<Push> batch, long nowMillis) {
    Batch decided = new Batch(state, nowMillis);
    List<Answer> answers = new ArrayList<>(batch.size());
    for (Push push : batch) {
      List<Ack> acks = new ArrayList<>(push.mutations().size());
      for (io.lockstep.protocol.v1.Mutation wire : push.mutations()) {
        acks.add(resolveGuarded(decided, push, wire));
      }
      answers.add(new Answer(push, new PushResult(acks)));
    }
    return new Resolution(decided.events, decided.stored, answers);
  }

  private Ack resolveGuarded(Batch batch, Push push, io.lockstep.protocol.v1.Mutation wire) {
    try {
      return batch.resolve(push, wire);
    } catch (InvalidMutationException e) {
      return ack(wire.getCounter(), 0, AckStatus.REJECTED, e.getMessage());
    } catch (RuntimeException e) {
      log.get().error("Merchant {}: mutation {} of device {} failed to resolve; rejected as internal-error",
          merchantId, wire.getCounter(), push.deviceId(), e);
      return ack(wire.getCounter(), 0, AckStatus.REJECTED, MerchantEntity.INTERNAL_ERROR);
    }
  }

  /** The batch being decided, keeping the state after each stored mutation. */
  private final class Batch {
    private MerchantState current;
    private final long nowMillis;
    private final List<Event> events = new ArrayList<>();
    private final List<Stored> stored = new ArrayList<>();

    Batch(MerchantState state, long nowMillis) {
      this.current = state;
      this.nowMillis = nowMillis;
    }

    /** Changes nothing unless the whole mutation resolved and encoded. */
    Ack resolve(Push push, io.lockstep.protocol.v1.Mutation wire) {
      Mutation mutation = DeviceProtocolMapper.toDomain(push.deviceId(), push.authority(), wire);
      long seq = current.headSeq() + 1;
      Outcome outcome = rules.apply(current, seq, mutation);
      if (outcome instanceof Outcome.Accepted accepted) {
        store(outcome.state(), seq, push, wire, AckStatus.ACCEPTED, accepted.record(), accepted.conflict());
        return ack(wire.getCounter(), seq, AckStatus.ACCEPTED, "");
      }
      if (outcome instanceof Outcome.Rejected rejected) {
        if (rejected.conflict().isEmpty()) return ack(wire.getCounter(), 0, AckStatus.REJECTED, rejected.reason());
        // stored for its conflict record
        store(outcome.state(), seq, push, wire, AckStatus.REJECTED, recordOf(outcome.state(), mutation), rejected.conflict());
        return ack(wire.getCounter(), seq, AckStatus.REJECTED, rejected.reason());
      }
      return ack(wire.getCounter(), 0, AckStatus.DUPLICATE, "");
    }

    /** Encodes the event and its change (before anything is kept: a failure stores nothing), then keeps both. */
    private void store(MerchantState next, long seq, Push push, io.lockstep.protocol.v1.Mutation wire,
        AckStatus status, DomainRecord record, Optional<Conflict> conflict) {
      WrittenEvents.Written written =
          WrittenEvents.encode(seq, push.deviceId(), push.authority(), wire, status, record, conflict, nowMillis);
      events.add(Recorded.encoded(seq, written.event()));
      stored.add(new Stored(next, written.change(), conflict.map(Conflict::rule), wire.getSerializedSize()));
      current = next;
    }
  }

  /** The order or item {@code mutation} names, as it stands in {@code state}. */
  private static DomainRecord recordOf(MerchantState state, Mutation mutation) {
    String id = mutation.op().recordId();
    DomainRecord order = state.orders().get(id);
    return order != null ? order : state.items().get(id);
  }
}
