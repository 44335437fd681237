package io.lockstep.domain;

import java.util.Comparator;
import java.util.Objects;

/**
 * The identity of one mutation: the device that wrote it and that device's counter.
 *
 * <p>Counters strictly increase per device, so a dot names exactly one mutation. Counter 0 is
 * reserved for dots synthesised from a resolved view (see {@link Item#resolved}); a version
 * vector always covers it. Dots order by device id, then counter.
 */
public record Dot(String deviceId, long counter) implements Comparable<Dot> {

  private static final Comparator<Dot> ORDER =
      Comparator.comparing(Dot::deviceId).thenComparingLong(Dot::counter);

  /** The dot of state that came from a resolved view rather than from a known mutation. */
  public static final Dot RESOLVED = new Dot("", 0);

  public Dot {
    Objects.requireNonNull(deviceId, "deviceId");
    if (counter < 0) {
      throw new IllegalArgumentException("counter < 0: " + counter);
    }
  }

  @Override
  public int compareTo(Dot other) {
    return ORDER.compare(this, other);
  }

  @Override
  public String toString() {
    return deviceId + ":" + counter;
  }
}
