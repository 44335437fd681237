package io.lockstep.api;

import io.lockstep.http.ApiProblem;
import io.lockstep.http.HttpErrors;
import io.lockstep.http.ProblemType;
import io.lockstep.domain.Authority;
import io.lockstep.merchant.MerchantEntity;
import io.lockstep.protocol.v1.Mutation;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * Request/reply with merchant entities for the HTTP endpoints, bounded by the configured ask
 * timeout. An expired ask fails the stage with a {@link java.util.concurrent.TimeoutException},
 * which {@link HttpErrors} reports as {@code unavailable}.
 */
public final class MerchantGateway {
  private final ClusterSharding sharding;
  private final Duration timeout;

  public MerchantGateway(ActorSystem<?> system, Duration askTimeout) {
    this.sharding = ClusterSharding.get(system);
    this.timeout = askTimeout;
  }

  /** The merchant's entity (started on demand by sharding). */
  public EntityRef<MerchantEntity.Command> merchant(String merchantId) {
    return sharding.entityRefFor(MerchantEntity.ENTITY_KEY, merchantId);
  }

  /** The resolved state, read by the entity: never older than a write already acknowledged. */
  public CompletionStage<MerchantEntity.View> view(String merchantId) {
    return merchant(merchantId).ask(MerchantEntity.GetView::new, timeout);
  }

  /** The sync barrier at {@code seq}, once complete or after {@code wait} (see {@link MerchantEntity.AwaitSync}). */
  public CompletionStage<MerchantEntity.SyncStatus> sync(String merchantId, long seq, Duration wait) {
    return merchant(merchantId).ask(replyTo -> new MerchantEntity.AwaitSync(seq, wait.toMillis(), replyTo), timeout.plus(wait));
  }

  public CompletionStage<MerchantEntity.Devices> devices(String merchantId) {
    return merchant(merchantId).ask(MerchantEntity.GetDevices::new, timeout);
  }

  /**
   * Writes {@code mutations} as the service {@code writer}; one ack per mutation after the
   * journal write commits. A non-empty {@code idempotencyKey} makes a retry return the first answer.
   */
  public CompletionStage<List<io.lockstep.protocol.v1.Ack>> push(
      String merchantId, String writer, List<Mutation> mutations, String idempotencyKey) {
    return merchant(merchantId)
        .<MerchantEntity.SessionEvent>ask(
            replyTo -> new MerchantEntity.Push(writer, Authority.SERVICE, mutations, idempotencyKey, replyTo),
            timeout)
        .thenApply(reply -> {
          if (reply instanceof MerchantEntity.PushResult result) {
            return result.acks();
          }
          if (reply instanceof MerchantEntity.Refused refused) { // nothing stored; the service retries
            throw new ApiProblem(MerchantEntity.Refused.BUSY.equals(refused.code()) ? ProblemType.BUSY
                : ProblemType.UNAVAILABLE, refused.message());
          }
          throw new IllegalStateException("unexpected reply to a push: " + reply.getClass().getName());
        });
  }
}
