package io.lockstep.client;

import io.lockstep.domain.Mutation;
import java.util.Objects;

/**
 * One own mutation the replica still re-applies: the exact wire form that is (re)sent, its domain
 * form, whether the server acknowledged it and, if so, the merchant seq after which the confirmed
 * records include it (0: they already do, or it was not stored).
 */
record PendingEntry(io.lockstep.protocol.v1.Mutation wire, Mutation mutation,
    boolean acknowledged, long settleSeq) {

  PendingEntry {
    Objects.requireNonNull(wire, "wire");
    Objects.requireNonNull(mutation, "mutation");
    if (settleSeq < 0) {
      throw new IllegalArgumentException("settleSeq < 0: " + settleSeq);
    }
  }

  long counter() {
    return wire.getCounter();
  }

  /** This entry acknowledged; it leaves once the replica has applied {@code seq}. */
  PendingEntry acknowledgedAt(long seq) {
    return new PendingEntry(wire, mutation, true, seq);
  }
}
