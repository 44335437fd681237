package io.lockstep.device;

import io.lockstep.merchant.JournalChanges;
import org.apache.pekko.NotUsed;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A committed range of a merchant's changes, read from the journal by {@link JournalChanges}, as
 * {@code Changes} frames. The range must come back whole and contiguous: a hole fails the stream,
 * which closes the connection, rather than let a device skip a change.
 */
final class JournalCatchUp {
  private final JournalChanges journal;
  private final int changesPerFrame;

  JournalCatchUp(CurrentEventsByPersistenceIdQuery journal, int changesPerFrame) {
    if (changesPerFrame < 1) throw new IllegalArgumentException("changesPerFrame < 1: " + changesPerFrame);
    this.journal = new JournalChanges(journal);
    this.changesPerFrame = changesPerFrame;
  }

  /** Encoded {@code ServerFrame}s of up to {@code changesPerFrame} changes each. */
  Source<byte[], NotUsed> frames(Outgoing.FromJournal range) {
    return journal.frames(range.merchantId(), range.fromSeq(), range.toSeq(), changesPerFrame);
  }
}
