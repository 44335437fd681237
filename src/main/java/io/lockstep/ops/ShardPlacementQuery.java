package io.lockstep.ops;

import io.lockstep.merchant.MerchantEntity;
import io.lockstep.ops.v1.NodeShards;
import io.lockstep.ops.v1.ShardEntities;
import io.lockstep.ops.v1.ShardPlacement;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** Where the merchant shards live: per node, each shard with its number of running entities. */
public final class ShardPlacementQuery {
  private final ActorSystem<?> system;
  private final Duration timeout;

  public ShardPlacementQuery(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.timeout = timeout;
  }

  /** The placement as the shard regions report it; shards that do not answer in time are listed as failed. */
  public CompletionStage<ShardPlacement> placement() {
    // The regions get the timeout; the ask waits a little longer for their combined answer.
    return AskPattern.<ClusterShardingQuery, ShardRegion.ClusterShardingStats>ask(
            ClusterSharding.get(system).shardState(),
            replyTo -> new GetClusterShardingStats(MerchantEntity.ENTITY_KEY, timeout, replyTo),
            timeout.plusSeconds(1),
            system.scheduler())
        .thenApply(ShardPlacementQuery::toProto);
  }

  private static ShardPlacement toProto(ShardRegion.ClusterShardingStats stats) {
    ShardPlacement.Builder placement = ShardPlacement.newBuilder();
    Map<String, ShardRegion.ShardRegionStats> regions = new TreeMap<>();
    stats.getRegions().forEach((address, region) -> regions.put(address.toString(), region));
    regions.forEach((node, region) -> {
      NodeShards.Builder shards = NodeShards.newBuilder().setNode(node);
      int entities = 0;
      for (Map.Entry<String, Object> shard : new TreeMap<String, Object>(region.getStats()).entrySet()) {
        int count = ((Number) shard.getValue()).intValue();
        entities += count;
        shards.addShards(ShardEntities.newBuilder().setShardId(shard.getKey()).setEntities(count));
      }
      shards.addAllFailedShards(new java.util.TreeSet<>(region.getFailed()));
      placement.addNodes(shards.setEntities(entities));
    });
    return placement.build();
  }
}
