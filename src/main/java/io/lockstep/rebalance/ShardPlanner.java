package io.lockstep.rebalance;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

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
 * <p>Pure and deterministic: ties go to the smaller node name, then shard id.
 */
public final class ShardPlanner {
  private final double band;
  private final int maxMoves;
  private final double minMeanLoad;

  public ShardPlanner(double band, int maxMoves, double minMeanLoad) {
    if (!(band > 1.0)) throw new IllegalArgumentException("band must be > 1: " + band);
    if (maxMoves < 1) throw new IllegalArgumentException("maxMoves < 1: " + maxMoves);
    this.band = band;
    this.maxMoves = maxMoves;
    this.minMeanLoad = minMeanLoad;
  }

  /**
   * @param pinned shards an operator fixed to their node
   * @param coolingDown shards moved too recently to move again
   */
  public Plan plan(Layout layout, Set<String> pinned, Set<String> coolingDown, Membership membership) {
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
    List<Move> moves = new ArrayList<>();
    Layout current = layout;
    while (moves.size() < maxMoves) {
      Move move = nextMove(current, fixed, mean);
      if (move == null) break;
      moves.add(move);
      fixed.add(move.shard());
      current = current.after(move);
    }
    return new Plan(moves, before, current.imbalance(), java.util.Optional.empty());
  }

  private Move nextMove(Layout layout, Set<String> fixed, double mean) {
    Map<String, Double> loads = layout.nodeLoads();
    String hottest = null;
    String coldest = null;
    for (Map.Entry<String, Double> node : loads.entrySet()) { // sorted by name: strict comparisons keep the first
      if (hottest == null || node.getValue() > loads.get(hottest)) hottest = node.getKey();
      if (coldest == null || node.getValue() < loads.get(coldest)) coldest = node.getKey();
    }
    double high = loads.get(hottest);
    double low = loads.get(coldest);
    if (high <= band * mean) return null;
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
    String reason = String.format(Locale.ROOT, "%s at %.2f x mean load; shard load %.2f/s to the coldest node",
        hottest, high / mean, load);
    return new Move(best, hottest, coldest, load, reason);
  }
}
