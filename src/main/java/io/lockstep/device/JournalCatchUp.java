package io.lockstep.device;

import io.lockstep.merchant.ChangeFrames;
import io.lockstep.merchant.MerchantEntity;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.Changes;
import io.lockstep.protocol.v1.ServerFrame;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Reads a committed range of a merchant's changes from the journal (Pekko Persistence Query) as
 * {@code Changes} frames. The range must come back whole and contiguous: a hole fails the stream,
 * which closes the connection, rather than let a device skip a change.
 */
final class JournalCatchUp {
  private final CurrentEventsByPersistenceIdQuery journal;
  private final int changesPerFrame;

  JournalCatchUp(CurrentEventsByPersistenceIdQuery journal, int changesPerFrame) {
    if (changesPerFrame < 1) throw new IllegalArgumentException("changesPerFrame < 1: " + changesPerFrame);
    this.journal = journal;
    this.changesPerFrame = changesPerFrame;
  }

  Source<Message, NotUsed> frames(Outgoing.FromJournal range) {
    return Source.lazySource(() -> read(range)).mapMaterializedValue(m -> NotUsed.getInstance());
  }

  private Source<Message, NotUsed> read(Outgoing.FromJournal range) {
    AtomicLong expected = new AtomicLong(range.fromSeq());
    String persistenceId = MerchantEntity.persistenceId(range.merchantId()).id();
    return journal
        .currentEventsByPersistenceId(persistenceId, range.fromSeq(), range.toSeq())
        .map(envelope -> {
          Change change = ChangeFrames.toChange(((MerchantEntity.Recorded) envelope.event()).proto());
          if (change.getSeq() != expected.getAndIncrement()) {
            throw new IllegalStateException("journal range of " + range.merchantId() + " has a hole before seq " + change.getSeq());
          }
          return change;
        })
        .concatLazy(Source.lazySource(() -> {
          if (expected.get() != range.toSeq() + 1) {
            throw new IllegalStateException("journal range of " + range.merchantId() + " ends at " + (expected.get() - 1) + ", expected " + range.toSeq());
          }
          return Source.<Change>empty();
        }))
        .grouped(changesPerFrame)
        .map(changes -> (Message) BinaryMessage.create(ByteString.fromArrayUnsafe(
            ServerFrame.newBuilder().setChanges(Changes.newBuilder().addAllChanges(changes)).build().toByteArray())));
  }
}
