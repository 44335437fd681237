package io.lockstep.load;

import java.lang.management.ManagementFactory;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.HdrHistogram.Histogram;

/**
 * Is the driver the bottleneck? Samples, once a second, the driver's CPU and the server's, and
 * the driver's event-loop lag: how late a probe runs on the WebSocket callback executor and how
 * late the pacer ticks (both in the lag histogram).
 */
final class DriverHealth implements AutoCloseable {
  final org.HdrHistogram.Recorder lag = new org.HdrHistogram.Recorder(60_000_000L, 3);
  final Histogram lagTotal = new Histogram(60_000_000L, 3);
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "driver-health");
    t.setDaemon(true);
    return t;
  });
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  final int cores = Runtime.getRuntime().availableProcessors();
  double driverCpuSum;
  double serverCpuSum;
  double driverCpuMax;
  int samples;

  /** Starts sampling; {@code serverCpuSeconds} reads the server's cumulated CPU time (0 if remote). */
  void start(Recorder rec, Executor callbacks, DoubleSupplier serverCpuSeconds) {
    long start = System.nanoTime();
    timer.scheduleAtFixedRate(() -> {
      long submitted = System.nanoTime();
      callbacks.execute(() -> lag.recordValue(Math.min((System.nanoTime() - submitted) / 1000, 60_000_000L)));
    }, 100, 100, TimeUnit.MILLISECONDS);
    final double[] last = {os.getProcessCpuTime() / 1e9, serverCpuSeconds.getAsDouble(), System.nanoTime()};
    timer.scheduleAtFixedRate(() -> {
      double now = System.nanoTime();
      double cpu = os.getProcessCpuTime() / 1e9;
      double server = serverCpuSeconds.getAsDouble();
      double wall = (now - last[2]) / 1e9;
      if (wall < 0.5) return; // a delayed tick catching up: too short to be a fair sample
      double driverPct = 100 * (cpu - last[0]) / wall;
      double serverPct = 100 * (server - last[1]) / wall;
      last[0] = cpu;
      last[1] = server;
      last[2] = now;
      Histogram interval = lag.getIntervalHistogram();
      lagTotal.add(interval);
      if (rec.measuring) {
        driverCpuSum += driverPct;
        serverCpuSum += serverPct;
        driverCpuMax = Math.max(driverCpuMax, driverPct);
        samples++;
      }
      rec.tick((now - start) / 1e9, wall, driverPct, serverPct, Recorder.ms(interval, 99));
    }, 1, 1, TimeUnit.SECONDS);
  }

  /** The driver's own CPU seconds so far (all its threads). */
  double driverCpuSeconds() {
    return os.getProcessCpuTime() / 1e9;
  }

  /** The machine's 1-minute load average, from /proc/loadavg (the JVM's view where that is absent). */
  static double loadAverage() {
    try {
      return Double.parseDouble(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (java.io.IOException | RuntimeException e) {
      return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
  }

  /** Pacer lateness. */
  void pacerLate(long micros) {
    lag.recordValue(Math.max(0, Math.min(micros, 60_000_000L)));
  }

  double driverCpuMean() {
    return samples == 0 ? 0 : driverCpuSum / samples;
  }

  double serverCpuMean() {
    return samples == 0 ? 0 : serverCpuSum / samples;
  }

  /** A warning when the driver may have limited the figures, else null. */
  String warning() {
    double lagP99 = Recorder.ms(lagTotal, 99);
    if (driverCpuMean() > 100.0 * cores / 2 || lagP99 > 50) {
      return String.format("driver may be saturated: mean CPU %.0f%% of %d cores (%.0f%% max), event-loop lag p99 %.1f ms",
          driverCpuMean(), cores, driverCpuMax, lagP99);
    }
    return null;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
