package io.lockstep.merchant;

import java.time.Duration;
import org.apache.pekko.actor.DeadLetter;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Answers every push that Pekko's persistence stash dropped with {@code busy}, so that no push is
 * lost in silence. A merchant stashes the commands that reach it while its journal write is in
 * flight ({@code pekko.persistence.typed.stash-capacity}); with the {@code drop} overflow strategy
 * Pekko publishes each command it cannot stash as {@link Dropped}, wrapped in its internal
 * protocol envelope (a case class whose first element is the command).
 *
 * <p>It also answers pushes that reached a merchant after it stopped (a hand-off or a
 * passivation takes the entity away with commands still in its mailbox; Pekko sends them to dead
 * letters): a device session's push is answered {@link MerchantEntity.OutOfSequence}, so the
 * session sends it again, through sharding, to the merchant's next incarnation; a service's push
 * is answered {@code unavailable}.
 */
final class StashOverflowGuard {
  private StashOverflowGuard() {}

  /** Starts the guard of this node; one per actor system. */
  static void start(ActorSystem<?> system, Duration retryAfter, MerchantObserver observer) {
    system.systemActorOf(create(retryAfter, observer), "merchant-stash-overflow-guard", Props.empty());
  }

  static Behavior<Object> create(Duration retryAfter, MerchantObserver observer) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(Dropped.class, ctx.getSelf().narrow()));
      ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(DeadLetter.class, ctx.getSelf().narrow()));
      return Behaviors.receiveMessage(message -> {
        if (message instanceof Dropped dropped && commandOf(dropped.message()) instanceof MerchantEntity.Push push) {
          observer.refused(dropped.recipient().path().name(), MerchantEntity.Refused.BUSY);
          push.replyTo().tell(MerchantEntity.Refused.busy(retryAfter));
        } else if (message instanceof DeadLetter dead && commandOf(dead.message()) instanceof MerchantEntity.Push push) {
          push.replyTo().tell(push.sequence() > 0
              ? new MerchantEntity.OutOfSequence(push.sequence())
              : new MerchantEntity.Refused(MerchantEntity.Refused.UNAVAILABLE,
                  "the merchant moved while the push was on its way; retry", retryAfter));
        }
        return Behaviors.same();
      });
    });
  }

  /** The command inside Pekko's envelope, or the message itself when it is not wrapped. */
  static Object commandOf(Object message) {
    if (message instanceof MerchantEntity.Command) return message;
    if (message instanceof scala.Product product && product.productArity() == 1) return product.productElement(0);
    return message;
  }
}
