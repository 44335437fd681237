package io.lockstep.rebalance;

import java.util.Map;
import java.util.TreeMap;

/**
 * Where the shards are and what each weighs: node to shard to load score. Every node that may
 * host shards is listed, one without shards with an empty map. Sorted, so planning is
 * deterministic.
 */
public record Layout(Map<String, Map<String, Double>> shardsByNode) {

  public Layout {
    TreeMap<String, Map<String, Double>> copy = new TreeMap<>();
    shardsByNode.forEach((node, shards) -> copy.put(node, java.util.Collections.unmodifiableMap(new TreeMap<>(shards))));
    shardsByNode = java.util.Collections.unmodifiableMap(copy);
  }

  /** The summed score of each node's shards. */
  public Map<String, Double> nodeLoads() {
    Map<String, Double> loads = new TreeMap<>();
    shardsByNode.forEach((node, shards) -> loads.put(node, shards.values().stream().mapToDouble(Double::doubleValue).sum()));
    return loads;
  }

  /** Max node load over mean node load; 1 for an idle or empty cluster. */
  public double imbalance() {
    Map<String, Double> loads = nodeLoads();
    double total = loads.values().stream().mapToDouble(Double::doubleValue).sum();
    if (loads.isEmpty() || total <= 0) return 1.0;
    double max = loads.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
    return max / (total / loads.size());
  }

  /** The node holding {@code shard}, or null. */
  public String nodeOf(String shard) {
    for (Map.Entry<String, Map<String, Double>> node : shardsByNode.entrySet()) {
      if (node.getValue().containsKey(shard)) return node.getKey();
    }
    return null;
  }

  /** This layout after {@code move}; a move of a shard that is not at its {@code from} changes nothing. */
  public Layout after(Move move) {
    Map<String, Double> from = shardsByNode.get(move.from());
    if (from == null || !from.containsKey(move.shard()) || !shardsByNode.containsKey(move.to())) return this;
    Map<String, Map<String, Double>> next = new TreeMap<>();
    shardsByNode.forEach((node, shards) -> next.put(node, new TreeMap<>(shards)));
    double load = next.get(move.from()).remove(move.shard());
    next.get(move.to()).put(move.shard(), load);
    return new Layout(next);
  }
}
