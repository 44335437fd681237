package io.lockstep.rebalance;

import java.time.Duration;

/**
 * A rate that forgets exponentially: an amount added now counts fully, one added a half-life ago
 * half. For a steady input of {@code r} per second {@link #perSecond} converges to {@code r}.
 * Updated in place with primitives only, so recording allocates nothing.
 *
 * <p>Not thread-safe: its owner guards it.
 */
final class DecayedRate {
  private final double tauNanos;
  private double decayedSum;
  private long lastNanos;

  DecayedRate(Duration halfLife, long nowNanos) {
    if (halfLife.isNegative() || halfLife.isZero()) {
      throw new IllegalArgumentException("halfLife must be positive: " + halfLife);
    }
    this.tauNanos = halfLife.toNanos() / Math.log(2);
    this.lastNanos = nowNanos;
  }

  void add(double amount, long nowNanos) {
    decayTo(nowNanos);
    decayedSum += amount;
  }

  double perSecond(long nowNanos) {
    decayTo(nowNanos);
    return decayedSum / (tauNanos / 1e9);
  }

  private void decayTo(long nowNanos) {
    long elapsed = nowNanos - lastNanos;
    if (elapsed <= 0) return; // a reader on another clock tick; never decays backwards
    decayedSum *= Math.exp(-elapsed / tauNanos);
    lastNanos = nowNanos;
  }
}
