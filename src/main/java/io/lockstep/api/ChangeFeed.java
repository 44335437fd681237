package io.lockstep.api;

import io.lockstep.api.v1.ChangeFeedPage;
import io.lockstep.merchant.JournalChanges;
import io.lockstep.protocol.v1.Change;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The resumable change feed of a merchant, read from the journal by {@link JournalChanges}: the
 * same {@link Change}s devices receive, in seq order, from any point of the merchant's history.
 *
 * <p>A page holds the changes after {@code after}, at most {@code limit}. When there are none
 * and the caller is willing to wait, a {@link FeedWaiter} subscribes to the merchant until a
 * change is written or the wait expires, then the journal is read again.
 */
public final class ChangeFeed {
  private final ActorSystem<?> system;
  private final MerchantGateway merchants;
  private final JournalChanges journal;

  public ChangeFeed(ActorSystem<?> system, MerchantGateway merchants) {
    this.system = system;
    this.merchants = merchants;
    this.journal = new JournalChanges(
        PersistenceQuery.get(system.classicSystem())
            .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier()));
  }

  /**
   * Changes after {@code after}, at most {@code limit}; waits up to {@code wait} for the first
   * one when there is none yet. {@code readerId} names the waiting subscription in the
   * merchant's device list.
   */
  public CompletionStage<ChangeFeedPage> read(String merchantId, String readerId, long after, int limit, Duration wait) {
    return changes(merchantId, after, limit).thenCompose(changes -> {
      if (!changes.isEmpty() || wait.isZero()) {
        return page(merchantId, after, limit, changes);
      }
      return awaitChange(merchantId, readerId, after, wait).thenCompose(woke -> woke
          ? changes(merchantId, after, limit).thenCompose(next -> page(merchantId, after, limit, next))
          : page(merchantId, after, limit, changes));
    });
  }

  private CompletionStage<List<Change>> changes(String merchantId, long after, int limit) {
    return journal.after(merchantId, after, limit).runWith(Sink.seq(), system);
  }

  /**
   * A page read to the end of the journal names the head itself; a full page asks the entity,
   * since more changes follow.
   */
  private CompletionStage<ChangeFeedPage> page(String merchantId, long after, int limit, List<Change> changes) {
    long nextAfter = changes.isEmpty() ? after : changes.get(changes.size() - 1).getSeq();
    ChangeFeedPage.Builder page = ChangeFeedPage.newBuilder().addAllChanges(changes).setNextAfter(nextAfter);
    if (changes.size() < limit) {
      return CompletableFuture.completedFuture(page.setHeadSeq(nextAfter).build());
    }
    return merchants.view(merchantId).thenApply(view -> page.setHeadSeq(Math.max(nextAfter, view.headSeq())).build());
  }

  private CompletionStage<Boolean> awaitChange(String merchantId, String readerId, long after, Duration wait) {
    CompletableFuture<Boolean> woke = new CompletableFuture<>();
    system.systemActorOf(
        FeedWaiter.create(merchants.merchant(merchantId), readerId, after, wait, woke),
        "change-feed-" + UUID.randomUUID(),
        Props.empty());
    return woke;
  }
}
