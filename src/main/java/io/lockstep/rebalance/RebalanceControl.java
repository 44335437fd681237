package io.lockstep.rebalance;

import io.lockstep.config.RebalanceSettings;
import io.lockstep.merchant.MerchantEntity;
import io.lockstep.rebalance.Rebalancer.Answer;
import io.lockstep.rebalance.Rebalancer.Status;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.IntConsumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocation;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The rebalancer as the rest of the node sees it: {@link #start} wires this node's part (its
 * {@link ShardLoadReporter}, the singleton proxy), and the methods ask the singleton, wherever
 * it runs, failing with a timeout when it does not answer in {@code timeout}.
 */
public final class RebalanceControl {
  private final ActorSystem<?> system;
  private final ActorRef<Rebalancer.Command> rebalancer;
  private final Duration timeout;

  private RebalanceControl(ActorSystem<?> system, ActorRef<Rebalancer.Command> rebalancer, Duration timeout) {
    this.system = system;
    this.rebalancer = rebalancer;
    this.timeout = timeout;
  }

  /**
   * The allocation strategy the merchant shards need for the rebalancer's moves to happen: when
   * enabled, {@link ExternalShardAllocationStrategy} (shards with no location set are started
   * on the node that first asks for them); otherwise none, and Pekko's count-based default stays.
   */
  public static Optional<ShardCoordinator.ShardAllocationStrategy> allocation(
      ActorSystem<?> system, RebalanceSettings settings, Duration timeout) {
    if (!settings.enabled()) return Optional.empty();
    return Optional.of(ExternalShardAllocationStrategy.create(system, MerchantEntity.ENTITY_KEY.name(), timeout));
  }

  /**
   * Starts this node's reporter and the rebalancer singleton (on the oldest node).
   *
   * @param queryTimeout how long one gathering waits for each node
   * @param moved told how many moves each round (or pin) started, on the singleton's node
   */
  public static RebalanceControl start(ActorSystem<?> system, RebalanceSettings settings, int numberOfShards,
      LoadLedger ledger, String node, Duration queryTimeout, IntConsumer moved) {
    system.systemActorOf(ShardLoadReporter.create(ledger, node), "shard-load-reporter", Props.empty());
    var locations = ExternalShardAllocation.get(system).getClient(MerchantEntity.ENTITY_KEY.name());
    ActorRef<Rebalancer.Command> proxy = ClusterSingleton.get(system).init(SingletonActor.of(
        Behaviors.supervise(Rebalancer.create(settings, numberOfShards, queryTimeout, locations, moved))
            .onFailure(SupervisorStrategy.restart()),
        "lockstep-rebalancer"));
    // A query gathers once (each node within queryTimeout, the regions a second longer).
    return new RebalanceControl(system, proxy, queryTimeout.multipliedBy(2).plusSeconds(2));
  }

  public CompletionStage<Status> status() {
    return ask(Rebalancer.GetStatus::new);
  }

  /** The plan the next round would make now; nothing is moved. */
  public CompletionStage<Plan> plan() {
    return this.<Rebalancer.PlanReport>ask(Rebalancer.GetPlan::new).thenApply(Rebalancer.PlanReport::plan);
  }

  public CompletionStage<Answer> suspend() {
    return ask(Rebalancer.Suspend::new);
  }

  public CompletionStage<Answer> resume() {
    return ask(Rebalancer.Resume::new);
  }

  public CompletionStage<Answer> pin(String shard, String node) {
    return ask(replyTo -> new Rebalancer.Pin(shard, node, replyTo));
  }

  public CompletionStage<Answer> unpin(String shard) {
    return ask(replyTo -> new Rebalancer.Unpin(shard, replyTo));
  }

  private <T> CompletionStage<T> ask(Function<ActorRef<T>, Rebalancer.Command> command) {
    return AskPattern.ask(rebalancer, command::apply, timeout, system.scheduler());
  }
}
