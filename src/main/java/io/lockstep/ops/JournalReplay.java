package io.lockstep.ops;

import io.lockstep.merchant.JournalChanges;
import io.lockstep.merchant.MerchantReplay;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;

/**
 * Rebuilds a merchant from its journal (Pekko Persistence Query) into a {@link MerchantReplay}:
 * the {@code replay} command and {@code GET /lockstep/merchants/{m}/history}. Reads the whole
 * journal of the merchant from seq 1 (events are never deleted; snapshots are not used, so the
 * answer does not depend on when one was taken): a merchant with millions of events takes a while.
 */
public final class JournalReplay {
  private final ActorSystem<?> system;
  private final JournalChanges journal;

  public JournalReplay(ActorSystem<?> system, CurrentEventsByPersistenceIdQuery journal) {
    this.system = system;
    this.journal = new JournalChanges(journal);
  }

  /** The merchant up to {@code toSeq}, remembering it at {@code fromSeq} (see {@link MerchantReplay}). */
  public CompletionStage<MerchantReplay> replay(String merchantId, long fromSeq, long toSeq) {
    MerchantReplay replay = new MerchantReplay(merchantId, fromSeq, toSeq);
    return journal.recorded(merchantId).runForeach(replay::accept, system).thenApply(done -> replay);
  }
}
