package io.lockstep.ops;

import io.lockstep.device.DeliveryLag;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * End-to-end delivery lag of the devices connected to this node, per merchant and device: commit
 * to socket ("written") and commit to the device's {@code Applied} report ("applied"), each in a
 * fixed-bucket histogram (no allocation per change). Feeds the node's Prometheus histograms and
 * the fan-out SLO counters; {@link #top} serves {@code GET /lockstep/lag}. A device leaves the
 * table when its session ends. Thread-safe.
 */
public final class LagTable implements DeliveryLag {
  /** Upper bounds of the buckets, in milliseconds; the last bucket is everything above. */
  static final long[] BOUNDS_MILLIS = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000};

  private final LockstepMetrics metrics;
  private final long sloThresholdMillis;
  private final Map<String, Map<String, DeviceLag>> merchants = new ConcurrentHashMap<>();

  public LagTable(LockstepMetrics metrics, Duration sloThreshold) {
    this.metrics = metrics;
    this.sloThresholdMillis = sloThreshold.toMillis();
  }

  /** One device's lag in both histograms. */
  public record Lag(String merchantId, String deviceId, long writtenCount, long writtenP99Millis,
      long appliedCount, long appliedP99Millis) {}

  private static final class DeviceLag {
    final AtomicLongArray written = new AtomicLongArray(BOUNDS_MILLIS.length + 1);
    final AtomicLongArray applied = new AtomicLongArray(BOUNDS_MILLIS.length + 1);
  }

  private DeviceLag device(String merchantId, String deviceId) {
    return merchants.computeIfAbsent(merchantId, m -> new ConcurrentHashMap<>())
        .computeIfAbsent(deviceId, d -> new DeviceLag());
  }

  @Override
  public void written(String merchantId, String deviceId, long lagMillis, int changes) {
    device(merchantId, deviceId).written.addAndGet(bucket(lagMillis), changes);
    metrics.delivered(lagMillis, changes, lagMillis <= sloThresholdMillis);
  }

  @Override
  public void applied(String merchantId, String deviceId, long lagMillis) {
    device(merchantId, deviceId).applied.incrementAndGet(bucket(lagMillis));
    metrics.applied(lagMillis);
  }

  @Override
  public void closed(String merchantId, String deviceId) {
    merchants.computeIfPresent(merchantId, (m, devices) -> {
      devices.remove(deviceId);
      return devices.isEmpty() ? null : devices;
    });
  }

  /** The {@code top} devices by p99 lag (written, then applied), worst first. */
  public List<Lag> top(int top) {
    List<Lag> all = new ArrayList<>();
    merchants.forEach((merchant, devices) -> devices.forEach((device, lag) -> all.add(lagOf(merchant, device, lag))));
    all.sort(Comparator.comparingLong(Lag::writtenP99Millis).thenComparingLong(Lag::appliedP99Millis).reversed()
        .thenComparing(Lag::merchantId).thenComparing(Lag::deviceId));
    return all.subList(0, Math.min(top, all.size()));
  }

  /** The connected devices of one merchant on this node, in device-id order; no scan of the others. */
  public List<Lag> merchant(String merchantId) {
    Map<String, DeviceLag> devices = merchants.get(merchantId);
    if (devices == null) return List.of();
    List<Lag> lags = new ArrayList<>();
    devices.forEach((device, lag) -> lags.add(lagOf(merchantId, device, lag)));
    lags.sort(Comparator.comparing(Lag::deviceId));
    return lags;
  }

  private static Lag lagOf(String merchantId, String deviceId, DeviceLag lag) {
    return new Lag(merchantId, deviceId, count(lag.written), p99(lag.written), count(lag.applied), p99(lag.applied));
  }

  static int bucket(long millis) {
    for (int i = 0; i < BOUNDS_MILLIS.length; i++) {
      if (millis <= BOUNDS_MILLIS[i]) return i;
    }
    return BOUNDS_MILLIS.length;
  }

  private static long count(AtomicLongArray buckets) {
    long n = 0;
    for (int i = 0; i < buckets.length(); i++) n += buckets.get(i);
    return n;
  }

  /** The upper bound of the bucket holding the 99th percentile (-1 above the last bound; 0 when empty). */
  static long p99(AtomicLongArray buckets) {
    long n = count(buckets);
    if (n == 0) return 0;
    long rank = (long) Math.ceil(n * 0.99);
    long seen = 0;
    for (int i = 0; i < buckets.length(); i++) {
      seen += buckets.get(i);
      if (seen >= rank) return i < BOUNDS_MILLIS.length ? BOUNDS_MILLIS[i] : -1;
    }
    return -1;
  }
}
