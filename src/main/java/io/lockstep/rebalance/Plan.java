package io.lockstep.rebalance;

import java.util.List;
import java.util.Optional;

/**
 * One planning round: the moves to make, the imbalance (max / mean node load) before and after
 * them, why the round holds, when it does (no moves then), and, when the per-node throttle ended
 * the round short of the band (with or without moves), which nodes it held.
 */
public record Plan(List<Move> moves, double imbalanceBefore, double imbalanceAfter, Optional<String> held,
    Optional<String> throttled) {

  public Plan {
    moves = List.copyOf(moves);
  }

  static Plan hold(double imbalance, String reason) {
    return new Plan(List.of(), imbalance, imbalance, Optional.of(reason), Optional.empty());
  }

  /** No move, because of the per-node throttle: it is why the round holds. */
  static Plan throttled(double imbalance, String throttle) {
    return new Plan(List.of(), imbalance, imbalance, Optional.of(throttle), Optional.of(throttle));
  }
}
