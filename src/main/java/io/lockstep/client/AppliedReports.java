package io.lockstep.client;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Tells the server the seq this device has applied and stored (the sync barrier's input), at most
 * every {@link #INTERVAL} or every {@link #EVERY} changes; a report held back by the interval goes
 * out when it ends. Runs on the client's event thread only.
 */
final class AppliedReports {

  /** Applied reports go out at most this often, or every {@link #EVERY} changes. */
  static final Duration INTERVAL = Duration.ofMillis(100);
  static final int EVERY = 256;

  private final ScheduledExecutorService eventThread;
  private ScheduledFuture<?> heldBack;
  private long latestSeq; // the stored seq as last told, reported when a held-back report fires

  AppliedReports(ScheduledExecutorService eventThread) {
    this.eventThread = eventThread;
  }

  /**
   * The store now holds {@code storedSeq}: reports it on {@code c} now or when the interval ends,
   * if {@code c} is then still {@code current}.
   */
  void stored(Connection c, long storedSeq, Predicate<Connection> current) {
    latestSeq = storedSeq;
    if (storedSeq <= c.reportedApplied || !current.test(c)) {
      return;
    }
    long sinceLast = System.nanoTime() - c.reportedAtNanos;
    if (sinceLast < INTERVAL.toNanos() && storedSeq - c.reportedApplied < EVERY) {
      if (heldBack == null) {
        heldBack = eventThread.schedule(() -> {
          heldBack = null;
          stored(c, latestSeq, current);
        }, INTERVAL.toNanos() - sinceLast, TimeUnit.NANOSECONDS);
      }
      return;
    }
    c.sendApplied(storedSeq);
  }

  void cancel() {
    if (heldBack != null) {
      heldBack.cancel(false);
      heldBack = null;
    }
  }
}
