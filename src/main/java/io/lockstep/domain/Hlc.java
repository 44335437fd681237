package io.lockstep.domain;

/**
 * A hybrid logical timestamp: wall-clock milliseconds plus a logical counter that orders events
 * within the same millisecond. Ordered by physical time, then logical counter; {@link #pack()} is
 * the wire form {@code (physicalMillis << 16) | logical}, whose unsigned order is the same.
 */
public record Hlc(long physicalMillis, int logical) implements Comparable<Hlc> {

  /** Largest logical counter that fits the 16 low bits of the packed form. */
  public static final int MAX_LOGICAL = 0xFFFF;

  /** Largest physical time that fits the 48 high bits of the packed form. */
  public static final long MAX_PHYSICAL = (1L << 48) - 1;

  public static final Hlc ZERO = new Hlc(0, 0);

  public Hlc {
    if (physicalMillis < 0 || physicalMillis > MAX_PHYSICAL) {
      throw new IllegalArgumentException("physicalMillis out of range: " + physicalMillis);
    }
    if (logical < 0 || logical > MAX_LOGICAL) {
      throw new IllegalArgumentException("logical out of range: " + logical);
    }
  }

  /** {@code (physicalMillis << 16) | logical}. */
  public long pack() {
    return (physicalMillis << 16) | logical;
  }

  /** The timestamp packed by {@link #pack()}; every long decodes. */
  public static Hlc unpack(long packed) {
    return new Hlc(packed >>> 16, (int) (packed & MAX_LOGICAL));
  }

  @Override
  public int compareTo(Hlc other) {
    int byPhysical = Long.compare(physicalMillis, other.physicalMillis);
    return byPhysical != 0 ? byPhysical : Integer.compare(logical, other.logical);
  }

  @Override
  public String toString() {
    return physicalMillis + "." + logical;
  }
}
