package io.lockstep.rebalance;

import io.lockstep.merchant.MerchantEntity;
import io.lockstep.rebalance.ShardLoadReporter.GetShardLoads;
import io.lockstep.rebalance.ShardLoadReporter.ShardLoads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * What the rebalancer plans from, gathered in one go: every node's shard loads (summed per
 * shard, so a shard that just moved counts once wherever it was measured), where the shards are
 * as the shard regions report it, and the membership. Nodes that are not {@code Up} are left
 * out of the layout; the membership makes the planner hold then anyway, and also while a node's
 * load report is missing (it would look idle).
 */
final class ClusterPicture {
  private final ActorSystem<?> system;
  private final Duration timeout;

  ClusterPicture(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.timeout = timeout;
  }

  /** The layout (shard loads by node) and the membership, nodes whose load did not arrive included. */
  record View(Layout layout, Membership membership) {}

  CompletionStage<View> gather() {
    CompletionStage<List<ShardLoads>> loads = loads();
    CompletionStage<Map<String, Set<String>>> placement = placement();
    return loads.thenCombine(placement, (reports, shards) -> view(reports, shards, membership()));
  }

  private View view(List<ShardLoads> reports, Map<String, Set<String>> placement, Membership membership) {
    Map<String, Double> byShard = new HashMap<>();
    Set<String> reported = new HashSet<>();
    for (ShardLoads report : reports) {
      reported.add(report.node());
      report.scores().forEach((shard, score) -> byShard.merge(shard, score, Double::sum));
    }
    Set<String> up = new HashSet<>();
    Cluster.get(system).state().getMembers().forEach(m -> {
      if (m.status() == MemberStatus.up()) up.add(m.address().toString());
    });
    Map<String, Map<String, Double>> nodes = new TreeMap<>();
    Set<String> silent = new HashSet<>();
    placement.forEach((node, shards) -> {
      if (!up.contains(node)) return;
      Map<String, Double> loads = new TreeMap<>();
      shards.forEach(shard -> loads.put(shard, byShard.getOrDefault(shard, 0.0)));
      nodes.put(node, loads);
      if (!reported.contains(node)) silent.add(node);
    });
    return new View(new Layout(nodes), membership.unmeasured(silent));
  }

  private Membership membership() {
    var state = Cluster.get(system).state();
    Set<String> unreachable = new HashSet<>();
    state.getUnreachable().forEach(m -> unreachable.add(m.address().toString()));
    Set<String> notUp = new HashSet<>();
    Set<String> versions = new HashSet<>();
    for (Member member : state.getMembers()) {
      if (member.status() != MemberStatus.up()) notUp.add(member.address() + " (" + member.status() + ")");
      versions.add(member.appVersion().toString());
    }
    return new Membership(unreachable, notUp, versions);
  }

  /** Every reporter's answer; one that does not answer in time is left out. */
  private CompletionStage<List<ShardLoads>> loads() {
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
            system.receptionist(), replyTo -> Receptionist.find(ShardLoadReporter.KEY, replyTo), timeout, system.scheduler())
        .thenCompose(listing -> {
          List<CompletableFuture<ShardLoads>> answers = new ArrayList<>();
          for (ActorRef<GetShardLoads> reporter : listing.getServiceInstances(ShardLoadReporter.KEY)) {
            answers.add(AskPattern.<GetShardLoads, ShardLoads>ask(reporter, GetShardLoads::new, timeout, system.scheduler())
                .handle((answer, failure) -> answer)
                .toCompletableFuture());
          }
          return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
              .thenApply(done -> answers.stream().map(CompletableFuture::join).filter(a -> a != null).toList());
        });
  }

  /** Shard ids by node address, as the shard regions report them. */
  private CompletionStage<Map<String, Set<String>>> placement() {
    Address self = Cluster.get(system).selfMember().address();
    return AskPattern.<ClusterShardingQuery, ShardRegion.ClusterShardingStats>ask(
            ClusterSharding.get(system).shardState(),
            replyTo -> new GetClusterShardingStats(MerchantEntity.ENTITY_KEY, timeout, replyTo),
            timeout.plusSeconds(1),
            system.scheduler())
        .thenApply(stats -> {
          Map<String, Set<String>> placement = new TreeMap<>();
          stats.getRegions().forEach((address, region) -> {
            String node = (address.hasGlobalScope() ? address : self).toString();
            placement.put(node, new HashSet<>(region.getStats().keySet()));
          });
          return placement;
        });
  }
}
