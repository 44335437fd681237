package io.lockstep.client;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Delays between reconnection attempts: exponential growth from {@code min} capped at {@code max},
 * with random jitter so a fleet that lost the server at the same moment does not come back in
 * lock step. The n-th delay (n counting from 0) is uniform in {@code [min, min(max, min * 2^n)]};
 * every delay lies within {@code [min, max]}. {@link #reset()} after a successful connection.
 *
 * <p>Not thread-safe: the client's event thread owns it.
 */
final class ReconnectBackoff {

  private final Duration min;
  private final Duration max;
  private final RandomGenerator random;
  private int attempt;

  ReconnectBackoff(Duration min, Duration max, RandomGenerator random) {
    Objects.requireNonNull(min, "min");
    Objects.requireNonNull(max, "max");
    if (min.isNegative() || min.isZero()) {
      throw new IllegalArgumentException("min backoff <= 0: " + min);
    }
    if (max.compareTo(min) < 0) {
      throw new IllegalArgumentException("max backoff < min backoff: " + max + " < " + min);
    }
    this.min = min;
    this.max = max;
    this.random = Objects.requireNonNull(random, "random");
  }

  /** The delay before the next attempt; each call counts as one more failed attempt. */
  Duration next() {
    long minNanos = min.toNanos();
    long capNanos = max.toNanos();
    // Doubling stops at the cap; the shift is bounded so it never overflows.
    long ceiling = attempt >= 62 || minNanos > (capNanos >> Math.min(attempt, 62))
        ? capNanos : Math.min(capNanos, minNanos << attempt);
    attempt = Math.min(attempt + 1, 62);
    long spread = ceiling - minNanos;
    return Duration.ofNanos(spread <= 0 ? minNanos : minNanos + random.nextLong(spread + 1));
  }

  /** Starts again from {@code min}. */
  void reset() {
    attempt = 0;
  }

  /** Failed attempts since the last {@link #reset()}. */
  int attempts() {
    return attempt;
  }
}
