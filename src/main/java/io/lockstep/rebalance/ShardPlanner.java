package io.lockstep.rebalance;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * Plans shard moves that bring every node within {@code band} times the mean node load.
 *
 * <p>Policy: hold while membership is unsettled, with fewer than two nodes, or while the mean
 * load is under {@code minMeanLoad}. Otherwise, up to {@code maxMoves} times: take the hottest
 * node; if it is within the band, stop; else move the one shard of it that brings the hottest
 * and the coldest node closest together, provided the coldest stays below the hottest's old
 * load. Pinned and cooling shards never move. Each move lowers one peak and raises no node to it,
 * so max/mean never rises; once in band nothing moves.
 *
 * <p>Per-node throttle (as Kafka Cruise Control's per-broker movement limit): a node takes part in
 * at most {@code maxMovesPerNode} concurrent moves, into or out of it, counting the moves still in
 * flight from earlier rounds. The shard goes to the coldest node with room left; when the hottest
 * node has none, the round ends. The plan says so where the throttle changed it: a move to a
 * node other than the coldest names the nodes at their limit; a round the throttle ends holds
 * ({@link Plan#held()}) when it made no move, and its last move's reason says why no further one
 * follows otherwise; either way {@link Plan#throttled()} names the nodes at their limit.
 *
 * <p>Pure and deterministic: ties go to the smaller node name, then shard id.
 */
public final class ShardPlanner {
  private final double band;
  private final int maxMoves;
  private final int maxMovesPerNode;
  private final double minMeanLoad;

  public ShardPlanner(double band, int maxMoves, int maxMovesPerNode, double minMeanLoad) {
    if (!(band > 1.0)) throw new IllegalArgumentException("band must be > 1: " + band);
    if (maxMoves < 1) throw new IllegalArgumentException("maxMoves < 1: " + maxMoves);
    if (maxMovesPerNode < 1) throw new IllegalArgumentException("maxMovesPerNode < 1: " + maxMovesPerNode);
    this.band = band;
    this.maxMoves = maxMoves;
    this.maxMovesPerNode = maxMovesPerNode;
    this.minMeanLoad = minMeanLoad;
  }

  /** A plan with no moves in flight. */
  public Plan plan(Layout layout, Set<String> pinned, Set<String> coolingDown, Membership membership) {
    return plan(layout, pinned, coolingDown, membership, Map.of());
  }

  /**
   * @param pinned shards an operator fixed to their node
   * @param coolingDown shards moved too recently to move again
   * @param inFlight per node, the moves into or out of it started earlier and not yet done
   */
  public Plan plan(Layout layout, Set<String> pinned, Set<String> coolingDown, Membership membership,
      Map<String, Integer> inFlight) {
    double before = layout.imbalance();
    var unsettled = membership.unsettled();
    if (unsettled.isPresent()) return Plan.hold(before, unsettled.get());
    int nodes = layout.shardsByNode().size();
    if (nodes < 2) return Plan.hold(before, "fewer than two nodes");
    double mean = layout.nodeLoads().values().stream().mapToDouble(Double::doubleValue).sum() / nodes;
    if (mean < minMeanLoad) {
      return Plan.hold(before, String.format(Locale.ROOT, "mean node load %.2f/s below min-mean-load %.2f/s", mean, minMeanLoad));
    }
    Set<String> fixed = new HashSet<>(pinned);
    fixed.addAll(coolingDown);
    Map<String, Integer> busy = new HashMap<>(inFlight);
    List<Move> moves = new ArrayList<>();
    Layout current = layout;
    String throttled = null;
    while (moves.size() < maxMoves) {
      Move move = nextMove(current, fixed, busy, mean);
      if (move == null) {
        // The throttle stopped the round if a move would be made without it.
        if (nextMove(current, fixed, Map.of(), mean) != null) throttled = throttle(current, busy);
        break;
      }
      moves.add(move);
      fixed.add(move.shard());
      busy.merge(move.from(), 1, Integer::sum);
      busy.merge(move.to(), 1, Integer::sum);
      current = current.after(move);
    }
    if (throttled == null) return new Plan(moves, before, current.imbalance(), Optional.empty(), Optional.empty());
    if (moves.isEmpty()) return Plan.throttled(before, throttled);
    // The last move's reason says why no further one follows: the history keeps move reasons only.
    Move last = moves.remove(moves.size() - 1);
    moves.add(new Move(last.shard(), last.from(), last.to(), last.load(), last.reason() + "; then " + throttled));
    return new Plan(moves, before, current.imbalance(), Optional.empty(), Optional.of(throttled));
  }

  /**
   * The move that best evens the hottest node and the coldest with room under the per-node
   * limit ({@code busy}: moves per node), or null; none if the hottest node has no room.
   */
  private Move nextMove(Layout layout, Set<String> fixed, Map<String, Integer> busy, double mean) {
    Map<String, Double> loads = layout.nodeLoads();
    String hottest = null;
    for (Map.Entry<String, Double> node : loads.entrySet()) { // sorted by name: strict comparisons keep the first
      if (hottest == null || node.getValue() > loads.get(hottest)) hottest = node.getKey();
    }
    String coldest = coldest(loads, hottest, busy);
    double high = loads.get(hottest);
    if (high <= band * mean || coldest == null || !hasRoom(hottest, busy)) return null;
    double low = loads.get(coldest);
    String best = null;
    double bestPeak = high;
    for (Map.Entry<String, Double> shard : layout.shardsByNode().get(hottest).entrySet()) {
      double load = shard.getValue();
      if (fixed.contains(shard.getKey()) || load <= 0 || low + load >= high) continue;
      double peak = Math.max(high - load, low + load);
      if (peak < bestPeak) {
        best = shard.getKey();
        bestPeak = peak;
      }
    }
    if (best == null) return null;
    double load = layout.shardsByNode().get(hottest).get(best);
    String target = coldest.equals(coldest(loads, hottest, Map.of()))
        ? "the coldest node"
        : coldest + ", the coldest node with room (" + throttle(layout, busy) + ")";
    String reason = String.format(Locale.ROOT, "%s at %.2f x mean load; shard load %.2f/s to %s", hottest, high / mean, load, target);
    return new Move(best, hottest, coldest, load, reason);
  }

  /** The least loaded node other than {@code hottest} with room for one more move, or null. */
  private String coldest(Map<String, Double> loads, String hottest, Map<String, Integer> busy) {
    String coldest = null;
    for (Map.Entry<String, Double> node : loads.entrySet()) {
      if (node.getKey().equals(hottest) || !hasRoom(node.getKey(), busy)) continue;
      if (coldest == null || node.getValue() < loads.get(coldest)) coldest = node.getKey();
    }
    return coldest;
  }

  private boolean hasRoom(String node, Map<String, Integer> busy) {
    return busy.getOrDefault(node, 0) < maxMovesPerNode;
  }

  /** The nodes of {@code layout} the per-node limit holds: "per-node throttle: a in 2, c in 2 concurrent moves (…)". */
  private String throttle(Layout layout, Map<String, Integer> busy) {
    StringJoiner full = new StringJoiner(", ");
    new TreeMap<>(busy).forEach((node, moves) -> {
      if (moves >= maxMovesPerNode && layout.shardsByNode().containsKey(node)) full.add(node + " in " + moves);
    });
    return "per-node throttle: " + full + " concurrent moves (max-moves-per-node " + maxMovesPerNode + ")";
  }
}
