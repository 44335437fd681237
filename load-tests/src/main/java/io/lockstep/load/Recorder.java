package io.lockstep.load;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * What one run measured: ack and fan-out latency (HdrHistogram, microseconds), counters, and a
 * per-second timeline for the report's charts. Writers are device callbacks on several threads.
 */
final class Recorder {
  private static final long HIGHEST_US = 600_000_000L;

  final org.HdrHistogram.Recorder ack = new org.HdrHistogram.Recorder(HIGHEST_US, 3);
  final org.HdrHistogram.Recorder fanout = new org.HdrHistogram.Recorder(HIGHEST_US, 3);
  final org.HdrHistogram.Recorder catchUp = new org.HdrHistogram.Recorder(HIGHEST_US, 3);
  final Histogram ackTotal = new Histogram(HIGHEST_US, 3);
  final Histogram fanoutTotal = new Histogram(HIGHEST_US, 3);
  final Histogram catchUpTotal = new Histogram(HIGHEST_US, 3);

  final LongAdder acceptedMutations = new LongAdder();
  final LongAdder duplicateMutations = new LongAdder();
  final LongAdder rejectedMutations = new LongAdder();
  final LongAdder pushesSent = new LongAdder();
  final LongAdder mutationsSent = new LongAdder();
  final LongAdder changesReceived = new LongAdder();
  final LongAdder changeBytesReceived = new LongAdder();
  final LongAdder pushBytesSent = new LongAdder();
  final LongAdder errors = new LongAdder();
  final LongAdder reconnects = new LongAdder();
  final java.util.concurrent.ConcurrentHashMap<String, LongAdder> errorKinds = new java.util.concurrent.ConcurrentHashMap<>();

  /** Told of every change a device receives from another device of its merchant. */
  interface DeliveryListener {
    void delivered(Device origin, long counter, long receivedNanos);
  }

  /** Set by scenarios that follow each update to every receiver (fanout); null otherwise. */
  volatile DeliveryListener deliveries;

  /** Samples are recorded only while true: warm-up and drain are excluded. */
  volatile boolean measuring;

  final List<double[]> timeline = new ArrayList<>();
  private long lastAccepted;
  private long lastChanges;

  void error(String kind) {
    errors.increment();
    errorKinds.computeIfAbsent(kind, k -> new LongAdder()).increment();
  }

  void recordAck(long micros) {
    if (measuring) ack.recordValue(clampMicros(micros));
  }

  void recordFanout(long micros) {
    if (measuring) fanout.recordValue(clampMicros(micros));
  }

  void delivered(Device origin, long counter, long receivedNanos) {
    DeliveryListener listener = deliveries;
    if (listener != null) listener.delivered(origin, counter, receivedNanos);
  }

  static long clampMicros(long micros) {
    return Math.max(0, Math.min(micros, HIGHEST_US));
  }

  /** A concurrent histogram of microseconds with the same range and precision as the others. */
  static org.HdrHistogram.Recorder micros() {
    return new org.HdrHistogram.Recorder(HIGHEST_US, 3);
  }

  void recordCatchUp(long micros) {
    catchUp.recordValue(clampMicros(micros));
  }

  /**
   * Closes one second of the timeline: {t, accepted/s, ack p50, ack p99, fanout p50, fanout p99,
   * changes/s, driver cpu %, server cpu %, driver lag p99 ms}.
   */
  synchronized void tick(double t, double seconds, double driverCpu, double serverCpu, double lagP99Ms) {
    Histogram a = ack.getIntervalHistogram();
    Histogram f = fanout.getIntervalHistogram();
    Histogram c = catchUp.getIntervalHistogram();
    ackTotal.add(a);
    fanoutTotal.add(f);
    catchUpTotal.add(c);
    long accepted = acceptedMutations.sum();
    long changes = changesReceived.sum();
    timeline.add(new double[] {
      t,
      (accepted - lastAccepted) / seconds,
      ms(a, 50), ms(a, 99), ms(f, 50), ms(f, 99),
      (changes - lastChanges) / seconds,
      driverCpu, serverCpu, lagP99Ms
    });
    lastAccepted = accepted;
    lastChanges = changes;
  }

  static double ms(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
  }
}
