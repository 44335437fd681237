package io.lockstep.domain;

import java.util.Map;
import java.util.TreeMap;

/** Short builders for tests: dots, vectors and mutations. */
final class Fixtures {

  private Fixtures() {}

  /** {@code vv("A", 1, "B", 2)}. */
  static VersionVector vv(Object... deviceCounterPairs) {
    Map<String, Long> counters = new TreeMap<>();
    for (int i = 0; i < deviceCounterPairs.length; i += 2) {
      counters.put((String) deviceCounterPairs[i], ((Number) deviceCounterPairs[i + 1]).longValue());
    }
    return VersionVector.of(counters);
  }

  static Mutation device(String device, long counter, VersionVector base, long millis, Op op) {
    return new Mutation(new Dot(device, counter), base, new Hlc(millis, 0), Authority.DEVICE, op);
  }

  static Mutation service(String device, long counter, VersionVector base, long millis, Op op) {
    return new Mutation(new Dot(device, counter), base, new Hlc(millis, 0), Authority.SERVICE, op);
  }

  /** Applies in order, seq 1, 2, … after the state's head, keeping the state of each outcome. */
  static MerchantState applyAll(MerchantState state, Mutation... mutations) {
    MerchantState current = state;
    for (Mutation m : mutations) {
      current = current.apply(current.headSeq() + 1, m).state();
    }
    return current;
  }
}
