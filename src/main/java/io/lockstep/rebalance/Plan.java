package io.lockstep.rebalance;

import java.util.List;
import java.util.Optional;

/**
 * One planning round: the moves to make, the imbalance (max / mean node load) before and after
 * them, and why the round holds, when it does (no moves then).
 */
public record Plan(List<Move> moves, double imbalanceBefore, double imbalanceAfter, Optional<String> held) {

  public Plan {
    moves = List.copyOf(moves);
  }

  static Plan hold(double imbalance, String reason) {
    return new Plan(List.of(), imbalance, imbalance, Optional.of(reason));
  }
}
