package io.lockstep.testing;

import io.lockstep.merchant.MerchantEntity;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** Asks a node's shard region whether a merchant's entity is running there. */
public final class RunningMerchants {
  private RunningMerchants() {}

  public static boolean isRunning(ActorSystem<?> system, String merchantId) {
    TestProbe<ShardRegion.CurrentShardRegionState> probe = TestProbe.create(system);
    ClusterSharding.get(system).shardState()
        .tell(new GetShardRegionState(MerchantEntity.ENTITY_KEY, probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(10)).getShards().stream()
        .anyMatch(shard -> shard.getEntityIds().contains(merchantId));
  }
}
