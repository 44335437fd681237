package io.lockstep.client;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A token bucket for this device's pushes: {@code perSecond} a second, bursts of one second's
 * worth. The server closes a session that pushes faster than its limit ({@code rate-limited});
 * a client paced below it never meets that, and what its app writes meanwhile waits in the outbox
 * and goes out in fewer, larger pushes. Not thread-safe: used on the client's event thread.
 */
final class PushPacer {
  private final double perNano;
  private final double capacity;
  private final ScheduledExecutorService eventThread;
  private final Runnable retry;
  private double tokens;
  private long lastNanos;
  private boolean retryScheduled;

  /** Runs {@code retry} on {@code eventThread} when a push waited for a token and one is there. */
  PushPacer(int perSecond, ScheduledExecutorService eventThread, Runnable retry) {
    this(perSecond, System.nanoTime(), eventThread, retry);
  }

  PushPacer(int perSecond, long nowNanos, ScheduledExecutorService eventThread, Runnable retry) {
    if (perSecond < 1) throw new IllegalArgumentException("perSecond < 1: " + perSecond);
    this.perNano = perSecond / 1e9;
    this.capacity = perSecond;
    this.tokens = perSecond;
    this.lastNanos = nowNanos;
    this.eventThread = eventThread;
    this.retry = retry;
  }

  /**
   * Takes one push's token; without one, schedules {@code retry} for when the next is there (once,
   * however often it is asked meanwhile) and answers false.
   */
  boolean tryAcquireOrRetry() {
    long now = System.nanoTime();
    if (tryAcquire(now)) return true;
    if (!retryScheduled) {
      retryScheduled = true;
      eventThread.schedule(() -> {
        retryScheduled = false;
        retry.run();
      }, Math.max(1, nanosUntilNext(now)), TimeUnit.NANOSECONDS);
    }
    return false;
  }

  /** Takes one push's token if there is one. */
  boolean tryAcquire(long nowNanos) {
    refill(nowNanos);
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  /** Nanoseconds until the next token, 0 when one is there. */
  long nanosUntilNext(long nowNanos) {
    refill(nowNanos);
    return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / perNano);
  }

  private void refill(long nowNanos) {
    long elapsed = nowNanos - lastNanos;
    if (elapsed > 0) {
      tokens = Math.min(capacity, tokens + elapsed * perNano);
      lastNanos = nowNanos;
    }
  }
}
