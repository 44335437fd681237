package io.lockstep.load;

/**
 * A device's push pacer: a token bucket of {@code perSecond} a second, bursts of one second's
 * worth, as the client library paces its pushes (its {@code PushPacer}) below the node's
 * per-device limit. Not thread-safe: the pacer thread's.
 */
final class PushPacing {
  private double tokens;
  private long lastNanos;

  boolean tryAcquire(long nowNanos, int perSecond) {
    if (lastNanos == 0) {
      lastNanos = nowNanos;
      tokens = perSecond;
    }
    tokens = Math.min(perSecond, tokens + (nowNanos - lastNanos) * perSecond / 1e9);
    lastNanos = nowNanos;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }
}
