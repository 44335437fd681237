package io.lockstep.domain;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A hybrid logical clock (Kulkarni et al.): timestamps never go backwards, stay close to the wall
 * clock, and every timestamp it issues after observing a remote one is greater than that one.
 *
 * <p>Thread-safe. When the logical counter would overflow 16 bits the physical part is advanced by
 * one millisecond instead.
 */
public final class HybridLogicalClock {

  private final LongSupplier wallClockMillis;
  private Hlc last = Hlc.ZERO;

  public HybridLogicalClock(LongSupplier wallClockMillis) {
    this.wallClockMillis = Objects.requireNonNull(wallClockMillis, "wallClockMillis");
  }

  /** A timestamp for a local event or a send: greater than every timestamp issued before. */
  public synchronized Hlc now() {
    long wall = wall();
    last = wall > last.physicalMillis() ? new Hlc(wall, 0) : next(last.physicalMillis(), last.logical());
    return last;
  }

  /** A timestamp for receiving {@code remote}: greater than it and than every one issued before. */
  public synchronized Hlc observe(Hlc remote) {
    Objects.requireNonNull(remote, "remote");
    long wall = wall();
    long physical = Math.max(wall, Math.max(last.physicalMillis(), remote.physicalMillis()));
    boolean fromLast = physical == last.physicalMillis();
    boolean fromRemote = physical == remote.physicalMillis();
    if (fromLast && fromRemote) {
      last = next(physical, Math.max(last.logical(), remote.logical()));
    } else if (fromLast) {
      last = next(physical, last.logical());
    } else if (fromRemote) {
      last = next(physical, remote.logical());
    } else {
      last = new Hlc(physical, 0);
    }
    return last;
  }

  private long wall() {
    return Math.min(Math.max(0, wallClockMillis.getAsLong()), Hlc.MAX_PHYSICAL);
  }

  private static Hlc next(long physical, int logical) {
    return logical < Hlc.MAX_LOGICAL ? new Hlc(physical, logical + 1) : new Hlc(physical + 1, 0);
  }
}
