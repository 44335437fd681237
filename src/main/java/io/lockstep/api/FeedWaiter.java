package io.lockstep.api;

import io.lockstep.merchant.MerchantEntity;
import io.lockstep.merchant.MerchantEntity.SessionEvent;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * One long-poll of the change feed: subscribes to the merchant after {@code afterSeq} and
 * completes {@code woke} with {@code true} on the first change frame, with {@code false} when
 * {@code wait} expires; then unsubscribes and stops.
 *
 * <p>Subscribing after the journal read loses no wake-up: a change written in between is in the
 * catch-up the entity sends right after {@code Subscribed}.
 */
final class FeedWaiter {
  private FeedWaiter() {}

  sealed interface Command {}

  private record FromEntity(SessionEvent event) implements Command {}

  private enum Expired implements Command { INSTANCE }

  static Behavior<Command> create(
      EntityRef<MerchantEntity.Command> merchant,
      String readerId,
      long afterSeq,
      Duration wait,
      CompletableFuture<Boolean> woke) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ActorRef<SessionEvent> inbox = ctx.messageAdapter(SessionEvent.class, FromEntity::new);
      merchant.tell(new MerchantEntity.Subscribe(readerId, afterSeq, inbox, ctx.getSelf()));
      timers.startSingleTimer(Expired.INSTANCE, wait);
      return Behaviors.receive(Command.class)
          .onMessage(FromEntity.class, msg -> {
            if (!(msg.event() instanceof MerchantEntity.Frame)) {
              return Behaviors.same(); // Subscribed: wait for a frame
            }
            woke.complete(true);
            merchant.tell(new MerchantEntity.Unsubscribe(inbox));
            return Behaviors.stopped();
          })
          .onMessage(Expired.class, msg -> {
            woke.complete(false);
            merchant.tell(new MerchantEntity.Unsubscribe(inbox));
            return Behaviors.stopped();
          })
          .onSignal(PostStop.class, signal -> {
            woke.complete(false);
            return Behaviors.same();
          })
          .build();
    }));
  }
}
