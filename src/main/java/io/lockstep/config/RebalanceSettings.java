package io.lockstep.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The load-based shard rebalancer.
 *
 * @param enabled shards are placed by Lockstep's plan ({@code ExternalShardAllocationStrategy});
 *     off: by count (Pekko's default) and the rebalancer only reports
 * @param interval time between two planning rounds
 * @param maxMovesPerRound most shard moves one round starts
 * @param maxMovesPerNode most concurrent moves into or out of one node (moves still in flight count)
 * @param coolDown a moved shard stays where it went at least this long
 * @param band the goal: every node's load at most {@code band} times the mean node load
 * @param loadHalfLife half-life of the decayed load rates
 * @param minMeanLoad below this mean node load (load units per second, {@code Load#score}) the
 *     cluster is too idle to balance: nothing moves
 */
public record RebalanceSettings(
    boolean enabled,
    Duration interval,
    int maxMovesPerRound,
    int maxMovesPerNode,
    Duration coolDown,
    double band,
    Duration loadHalfLife,
    double minMeanLoad) {

  public RebalanceSettings {
    if (!(band > 1.0)) throw new IllegalArgumentException("lockstep.rebalance.band must be > 1: " + band);
    if (minMeanLoad < 0) throw new IllegalArgumentException("lockstep.rebalance.min-mean-load < 0: " + minMeanLoad);
  }

  /** Parses {@code lockstep.rebalance}. */
  public static RebalanceSettings from(Config rebalance) {
    return new RebalanceSettings(
        rebalance.getBoolean("enabled"),
        LockstepSettings.positiveDuration(rebalance, "interval"),
        LockstepSettings.positive(rebalance, "max-moves-per-round"),
        LockstepSettings.positive(rebalance, "max-moves-per-node"),
        LockstepSettings.positiveDuration(rebalance, "cool-down"),
        rebalance.getDouble("band"),
        LockstepSettings.positiveDuration(rebalance, "load-half-life"),
        rebalance.getDouble("min-mean-load"));
  }
}
