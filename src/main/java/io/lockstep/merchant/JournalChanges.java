package io.lockstep.merchant;

import io.lockstep.protocol.v1.Change;
import io.lockstep.storage.v1.MutationRecorded;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The one reader of a merchant's journal (Pekko Persistence Query): its stored events as the same
 * {@link Change}s devices receive live, in seq order. What it reads must be contiguous from where
 * it starts: a hole fails the stream rather than let a reader skip a change.
 *
 * <p>Each source reads when it is run, and may be run more than once. Thread-safe.
 */
public final class JournalChanges {
  private final CurrentEventsByPersistenceIdQuery journal;

  public JournalChanges(CurrentEventsByPersistenceIdQuery journal) {
    this.journal = journal;
  }

  /**
   * The changes {@code fromSeq..toSeq} of {@code merchantId}, a range the merchant has committed.
   * It must come back whole: a hole, or a range that ends short, fails the stream.
   */
  public Source<Change, NotUsed> range(String merchantId, long fromSeq, long toSeq) {
    return whole(merchantId, fromSeq, toSeq).map(recorded -> ChangeFrames.toChange(recorded.proto()));
  }

  /**
   * The changes {@code fromSeq..toSeq} of {@code merchantId} (a committed range, which must come
   * back whole) as encoded {@code ServerFrame}s of up to {@code perFrame} changes each: each
   * change written from the stored bytes without decoding them ({@link ChangeFrames#encodeStored}).
   */
  public Source<byte[], NotUsed> frames(String merchantId, long fromSeq, long toSeq, int perFrame) {
    if (perFrame < 1) throw new IllegalArgumentException("perFrame < 1: " + perFrame);
    return whole(merchantId, fromSeq, toSeq)
        .map(recorded -> ChangeFrames.encodeStored(recorded.bytesForJournal()))
        .grouped(perFrame)
        .map(ChangeFrames::changesFrame);
  }

  private Source<Recorded, NotUsed> whole(String merchantId, long fromSeq, long toSeq) {
    return deferred(fromSeq, next -> contiguous(merchantId, events(merchantId, fromSeq, toSeq), next)
        .concatLazy(Source.lazySource(() -> {
          if (next.get() != toSeq + 1) {
            throw new IllegalStateException("journal range of " + merchantId + " ends at " + (next.get() - 1) + ", expected " + toSeq);
          }
          return Source.<Recorded>empty();
        })));
  }

  /**
   * At most {@code limit} changes of {@code merchantId} after {@code afterSeq}, as far as the
   * journal goes (none past its end). A hole fails the stream.
   */
  public Source<Change, NotUsed> after(String merchantId, long afterSeq, int limit) {
    if (limit < 1) throw new IllegalArgumentException("limit < 1: " + limit);
    return deferred(afterSeq + 1, next -> contiguous(merchantId, events(merchantId, afterSeq + 1, Long.MAX_VALUE).take(limit), next)
        .map(recorded -> ChangeFrames.toChange(recorded.proto())));
  }

  /** Every stored event of {@code merchantId} from seq 1, in order (replay). A hole fails the stream. */
  public Source<MutationRecorded, NotUsed> recorded(String merchantId) {
    return deferred(1, next -> contiguous(merchantId, events(merchantId, 1, Long.MAX_VALUE), next).map(Recorded::proto));
  }

  private Source<EventEnvelope, NotUsed> events(String merchantId, long fromSeq, long toSeq) {
    return journal.currentEventsByPersistenceId(MerchantEntity.persistenceId(merchantId).id(), fromSeq, toSeq);
  }

  /** {@code read}, built anew each run with its own count of the next seq, from {@code fromSeq}. */
  private static <T> Source<T, NotUsed> deferred(long fromSeq, Function<AtomicLong, Source<T, ?>> read) {
    return Source.lazySource(() -> read.apply(new AtomicLong(fromSeq))).mapMaterializedValue(m -> NotUsed.getInstance());
  }

  private static Source<Recorded, NotUsed> contiguous(String merchantId, Source<EventEnvelope, NotUsed> events, AtomicLong next) {
    return events.map(envelope -> {
      Recorded event = recordedOf(envelope);
      if (event.seq() != next.getAndIncrement()) {
        throw new IllegalStateException("journal range of " + merchantId + " has a hole before seq " + event.seq());
      }
      return event;
    });
  }

  private static Recorded recordedOf(EventEnvelope envelope) {
    if (envelope.event() instanceof Recorded recorded) {
      return recorded;
    }
    throw new IllegalStateException("unexpected event type in merchant journal: " + envelope.event().getClass().getName());
  }
}
