package io.lockstep.domain;

import java.util.Random;

/** Random states for tests outside this package. */
public final class Histories {

  private Histories() {}

  /** The seed state after a random causal history of {@code size} mutations by 4 devices. */
  public static MerchantState random(Random random, int size) {
    CausalHistory history = CausalHistory.generate(random, 4, size, CausalHistory.OpMix.ALL);
    return history.applyInOrder(history.causalOrder(random));
  }
}
