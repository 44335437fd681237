package io.lockstep.rebalance;

import io.lockstep.serialization.TransientMessage;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Answers the rebalancer with this node's shard loads from its {@link LoadLedger}; one per node,
 * registered with the Receptionist under {@link #KEY}.
 */
public final class ShardLoadReporter {
  private ShardLoadReporter() {}

  public static final ServiceKey<GetShardLoads> KEY = ServiceKey.create(GetShardLoads.class, "lockstep-shard-load");

  /** Asks for the node's shard loads. */
  public record GetShardLoads(ActorRef<ShardLoads> replyTo) implements TransientMessage {}

  /** Load scores ({@link Load#score()}) by shard id, measured on {@code node}. */
  public record ShardLoads(String node, Map<String, Double> scores) implements TransientMessage {
    public ShardLoads {
      scores = Map.copyOf(scores);
    }
  }

  public static Behavior<GetShardLoads> create(LoadLedger ledger, String node) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      return Behaviors.receiveMessage(query -> {
        Map<String, Double> scores = new TreeMap<>();
        ledger.shards().forEach((shard, load) -> scores.put(shard, load.score()));
        query.replyTo().tell(new ShardLoads(node, scores));
        return Behaviors.same();
      });
    });
  }
}
