package io.lockstep.load;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * Follows every update of one step to every other device of its merchant. An update is
 * registered before it is sent; each receipt counts it off; when the last receiver has it, its
 * fan-out latency (scheduled send to the last receipt) is recorded. Latencies are recorded only
 * for updates scheduled inside the step's measured window; delivery is checked for all of them.
 */
final class FanoutTracker implements Recorder.DeliveryListener {
  /** One update on its way: who still has to receive it. Guarded by the map's compute. */
  private static final class Pending {
    final long sentNanos;
    final boolean measured;
    int missing;
    long lastReceiptNanos;

    Pending(long sentNanos, boolean measured, int missing) {
      this.sentNanos = sentNanos;
      this.measured = measured;
      this.missing = missing;
    }
  }

  /** What one step measured, read once its drain is over. */
  record StepResult(Histogram perUpdate, Histogram perDelivery, long updatesSent, long updatesInWindow, long undelivered) {}

  private final Map<Device, Long> index = new IdentityHashMap<>();
  private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
  private final LongAdder deliveries = new LongAdder();
  private volatile org.HdrHistogram.Recorder perUpdate = Recorder.micros();
  private volatile org.HdrHistogram.Recorder perDelivery = Recorder.micros();
  private volatile long measureFrom;
  private volatile long measureUntil;
  private long updatesSent;
  private long updatesInWindow;

  FanoutTracker(List<Device> devices) {
    for (Device d : devices) index.put(d, (long) index.size());
  }

  /** Starts a step: updates scheduled in [from, until) are the measured ones. */
  void beginStep(long fromNanos, long untilNanos) {
    pending.clear();
    perUpdate = Recorder.micros();
    perDelivery = Recorder.micros();
    measureFrom = fromNanos;
    measureUntil = untilNanos;
    updatesSent = 0;
    updatesInWindow = 0;
  }

  /** Before {@code origin} sends the update with this counter, scheduled at {@code sentNanos}. */
  void register(Device origin, long counter, long sentNanos) {
    int receivers = origin.merchant.devices.size() - 1;
    boolean measured = sentNanos >= measureFrom && sentNanos < measureUntil;
    updatesSent++;
    if (measured) updatesInWindow++;
    if (receivers <= 0) return;
    pending.put(key(origin, counter), new Pending(sentNanos, measured, receivers));
  }

  @Override
  public void delivered(Device origin, long counter, long receivedNanos) {
    Long key = key(origin, counter);
    if (key == null) return;
    // A receipt for an update of an earlier step (or of the set-up) finds nothing and is ignored.
    pending.computeIfPresent(key, (k, p) -> {
      deliveries.increment();
      if (p.measured) perDelivery.recordValue(Recorder.clampMicros((receivedNanos - p.sentNanos) / 1000));
      p.lastReceiptNanos = Math.max(p.lastReceiptNanos, receivedNanos);
      if (--p.missing > 0) return p;
      if (p.measured) perUpdate.recordValue(Recorder.clampMicros((p.lastReceiptNanos - p.sentNanos) / 1000));
      return null;
    });
  }

  /** Deliveries counted so far (to other devices, of registered updates). */
  long deliveries() {
    return deliveries.sum();
  }

  /** Every update registered in this step has reached all its receivers. */
  boolean allDelivered() {
    return pending.isEmpty();
  }

  /** Ends the step: what was measured, and how many updates some receiver never got. */
  StepResult endStep() {
    StepResult result = new StepResult(perUpdate.getIntervalHistogram(), perDelivery.getIntervalHistogram(),
        updatesSent, updatesInWindow, pending.size());
    pending.clear();
    return result;
  }

  private Long key(Device origin, long counter) {
    Long i = index.get(origin);
    // 2^40 counters per device: far beyond any run.
    return i == null ? null : (i << 40) | counter;
  }
}
