package io.lockstep.security;

/**
 * A token bucket: {@code perSecond} tokens a second, holding at most one second's worth. One per
 * device session, used by its actor only (not thread-safe).
 */
public final class PushRateLimiter {
  private final double perNano;
  private final double capacity;
  private double tokens;
  private long lastNanos;

  public PushRateLimiter(int perSecond, long nowNanos) {
    if (perSecond < 1) throw new IllegalArgumentException("perSecond < 1: " + perSecond);
    this.perNano = perSecond / 1e9;
    this.capacity = perSecond;
    this.tokens = perSecond;
    this.lastNanos = nowNanos;
  }

  /** Takes a token if one is available at {@code nowNanos} ({@link System#nanoTime()}). */
  public boolean tryAcquire(long nowNanos) {
    tokens = Math.min(capacity, tokens + (nowNanos - lastNanos) * perNano);
    lastNanos = nowNanos;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }
}
