package io.lockstep.ops;

import io.lockstep.ops.v1.MerchantLoad;
import io.lockstep.rebalance.LoadLedger;
import io.lockstep.serialization.TransientMessage;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Answers load queries for the merchants of its node from the {@link MerchantLoadTable}, with the
 * decayed rates of the rebalancer's {@link LoadLedger} beside them; one per node, registered with the Receptionist under {@link #KEY} so operator routes on any node can
 * ask every node.
 */
public final class LoadReporter {
  private LoadReporter() {}

  public static final ServiceKey<Query> KEY = ServiceKey.create(Query.class, "lockstep-merchant-load");

  /** What the reporter answers. */
  public sealed interface Query extends TransientMessage {}

  /** The load of one merchant, if it runs on this node. */
  public record GetMerchantLoad(String merchantId, ActorRef<LoadReport> replyTo) implements Query {}

  /** The node's {@code top} hottest merchants. */
  public record GetHotMerchants(int top, ActorRef<LoadReport> replyTo) implements Query {}

  /** Loads measured on {@code node}. */
  public record LoadReport(String node, List<MerchantLoad> merchants) implements TransientMessage {
    public LoadReport {
      merchants = List.copyOf(merchants);
    }
  }

  public static Behavior<Query> create(MerchantLoadTable table, LoadLedger ledger, String node) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      return Behaviors.receive(Query.class)
          .onMessage(GetMerchantLoad.class, q -> {
            q.replyTo().tell(new LoadReport(node, table.load(q.merchantId()).stream().map(l -> withRates(l, ledger)).toList()));
            return Behaviors.same();
          })
          .onMessage(GetHotMerchants.class, q -> {
            q.replyTo().tell(new LoadReport(node, table.hottest(q.top()).stream().map(l -> withRates(l, ledger)).toList()));
            return Behaviors.same();
          })
          .build();
    });
  }

  /** {@code load} with its shard and, while this node measures the merchant, the ledger's rates. */
  static MerchantLoad withRates(MerchantLoad load, LoadLedger ledger) {
    MerchantLoad.Builder b = load.toBuilder()
        .setShardId(Integer.toString(LoadLedger.shardOf(load.getMerchantId(), ledger.numberOfShards())));
    ledger.merchant(load.getMerchantId()).ifPresent(rates -> b
        .setDeliveriesPerSecond(rates.deliveries())
        .setBytesInPerSecond(rates.bytesIn())
        .setBytesOutPerSecond(rates.bytesOut())
        .setBusy(rates.busy())
        .setLoadScore(rates.score()));
    return b.build();
  }
}
