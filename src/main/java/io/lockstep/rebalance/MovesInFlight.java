package io.lockstep.rebalance;

import io.lockstep.rebalance.Rebalancer.MoveRecord;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shard moves the rebalancer started and has not yet seen done, one per shard. A move counts
 * against the per-node throttle of both its nodes until its shard shows at its target, or until
 * it is given up. Not thread-safe: the rebalancer's actor owns it.
 */
final class MovesInFlight {
  private static final Logger log = LoggerFactory.getLogger(MovesInFlight.class);

  private final Map<String, MoveRecord> byShard = new TreeMap<>();

  /** A move of {@code move.shard()} started; it replaces one of that shard still in flight. */
  void start(MoveRecord move) {
    byShard.put(move.shard(), move);
  }

  /** By shard id. */
  List<MoveRecord> list() {
    return List.copyOf(byShard.values());
  }

  /** Per node, the moves in flight into or out of it. */
  Map<String, Integer> perNode() {
    Map<String, Integer> perNode = new TreeMap<>();
    byShard.values().forEach(move -> {
      perNode.merge(move.from(), 1, Integer::sum);
      perNode.merge(move.to(), 1, Integer::sum);
    });
    return perNode;
  }

  /** {@code layout} with every move in flight already made: the next round must not plan it twice. */
  Layout intended(Layout layout) {
    Layout result = layout;
    for (MoveRecord move : byShard.values()) {
      String at = result.nodeOf(move.shard());
      if (at != null) result = result.after(new Move(move.shard(), at, move.to(), 0, move.reason()));
    }
    return result;
  }

  /** Moves whose shard is at its target in {@code layout} are done; one started before {@code giveUp} and still elsewhere is given up. */
  void settle(Layout layout, Instant giveUp) {
    byShard.values().removeIf(move -> {
      boolean arrived = move.to().equals(layout.nodeOf(move.shard()));
      if (!arrived && move.at().isBefore(giveUp)) {
        log.warn("Shard {} is still not on {} a cool-down after its move; no longer waiting for it", move.shard(), move.to());
        return true;
      }
      return arrived;
    });
  }
}
