package io.lockstep.domain;

import java.util.Comparator;
import java.util.Objects;

/**
 * The total order that decides concurrent register writes: authority first ({@code SERVICE} over
 * {@code DEVICE}), then hybrid logical time, then device id, then counter (so two writes never
 * tie). Wall clocks never decide alone.
 */
public record Stamp(Authority authority, Hlc hlc, String deviceId, long counter)
    implements Comparable<Stamp> {

  private static final Comparator<Stamp> ORDER =
      Comparator.comparing(Stamp::authority)
          .thenComparing(Stamp::hlc)
          .thenComparing(Stamp::deviceId)
          .thenComparingLong(Stamp::counter);

  /** The lowest stamp; used for state synthesised from a resolved view. */
  public static final Stamp RESOLVED = new Stamp(Authority.DEVICE, Hlc.ZERO, "", 0);

  public Stamp {
    Objects.requireNonNull(authority, "authority");
    Objects.requireNonNull(hlc, "hlc");
    Objects.requireNonNull(deviceId, "deviceId");
  }

  /** The stamp of a mutation. */
  public static Stamp of(Mutation mutation) {
    return new Stamp(
        mutation.authority(), mutation.hlc(), mutation.dot().deviceId(), mutation.dot().counter());
  }

  /** The dot this stamp belongs to. */
  public Dot dot() {
    return new Dot(deviceId, counter);
  }

  @Override
  public int compareTo(Stamp other) {
    return ORDER.compare(this, other);
  }
}
