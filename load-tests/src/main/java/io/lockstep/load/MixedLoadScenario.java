package io.lockstep.load;

import io.lockstep.security.PushRateLimiter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** {@code steady}, {@code hot} and {@code chaos}: an open-loop mix of sales and restocks over a fleet. */
final class MixedLoadScenario {
  /** What happens to the nodes while the load runs (chaos: a fault injected and healed), and after it. */
  interface Disturbance {
    Disturbance NONE = new Disturbance() {
      @Override
      public void during(long now, long start, long measureFrom, List<Device> devices) {}

      @Override
      public void after(List<Device> devices) {}
    };

    /** Called on every turn of the load loop (every ~2 ms). */
    void during(long now, long start, long measureFrom, List<Device> devices) throws Exception;

    /** After the load stopped, before the drain: devices come back and resend. */
    void after(List<Device> devices) throws Exception;
  }

  /** Sales and restocks in one push at most: 3 mutations each, within the node's 500 per push. */
  private static final int MAX_UNITS_PER_PUSH = 150;

  private final LoadRun run;

  MixedLoadScenario(LoadRun run) {
    this.run = run;
  }

  /**
   * steady and hot: open-loop offered load of mixed sales (order + line + stock -1, one push) and
   * restocks (stock +1), spread over all devices; latency is measured from the intended send time,
   * so a push held back by the in-flight limit counts its wait (no coordinated omission).
   */
  void run(int merchants, int perMerchant, int rate) throws Exception {
    run(merchants, perMerchant, rate, Disturbance.NONE);
  }

  /** The load with {@code disturbance}; returns the fleet, for checks of the caller's own. */
  List<Merchant> run(int merchants, int perMerchant, int rate, Disturbance disturbance) throws Exception {
    LoadRun.ReadyFleet ready = run.connectWithCatalogs(run.scenario, merchants, perMerchant);
    List<Merchant> fleet = ready.merchants();
    List<Device> devices = ready.devices();
    long connected = ready.connected();
    double connectSeconds = ready.connectSeconds();

    double saleShare = Double.parseDouble(run.opts.getOrDefault("sale-share", "0.5"));
    double mutationsPerPush = saleShare * 3 + (1 - saleShare);
    double pushesPerDevicePerSecond = rate / mutationsPerPush / devices.size();
    long interval = (long) (1e9 / pushesPerDevicePerSecond);
    int maxInFlight = run.intOpt("max-in-flight", 8);
    // Pushes per device per second at most, as the client library paces them (ClientConfig's
    // maxPushesPerSecond, 40) below the node's lockstep.limits.max-pushes-per-second (50).
    int pushesPerSecond = run.intOpt("pushes-per-second", 40);
    double warmup = Math.min(5, run.duration / 5);
    long start = System.nanoTime();
    for (Device d : devices) d.nextSendNanos = start + ThreadLocalRandom.current().nextLong(interval);
    long end = start + (long) ((warmup + run.duration) * 1e9);
    long measureFrom = start + (long) (warmup * 1e9);
    long acceptedAtMeasure = -1;
    double journalRowsAtMeasure = -1;
    long lastTick = System.nanoTime();
    boolean chaos = disturbance != Disturbance.NONE;
    long nextReconnectScan = start;
    while (true) {
      long now = System.nanoTime();
      if (now >= end) break;
      disturbance.during(now, start, measureFrom, devices);
      if (now >= nextReconnectScan) {
        run.reconnectClosed(devices);
        nextReconnectScan = now + 500_000_000L;
      }
      if (acceptedAtMeasure < 0 && now >= measureFrom) {
        acceptedAtMeasure = run.rec.acceptedMutations.sum();
        journalRowsAtMeasure = run.journalRowsWritten();
        run.rec.measuring = true;
      }
      run.health.pacerLate(Math.max(0, (now - lastTick) / 1000 - 2000));
      lastTick = now;
      for (Device d : devices) {
        if (d.nextSendNanos > now || d.pushesInFlight.get() >= maxInFlight || !d.isOpen()) continue;
        if (d.pacing == null) d.pacing = new PushRateLimiter(pushesPerSecond, now);
        if (!d.pacing.tryAcquire(now)) continue; // what is due waits and goes in the next push
        List<Long> due = new ArrayList<>();
        while (d.nextSendNanos <= now && due.size() < MAX_UNITS_PER_PUSH) {
          due.add(d.nextSendNanos);
          d.nextSendNanos += interval;
        }
        d.pushMixed(due, saleShare);
      }
      Thread.sleep(2);
    }
    double measured = (System.nanoTime() - measureFrom) / 1e9;
    long accepted = run.rec.acceptedMutations.sum() - Math.max(0, acceptedAtMeasure);
    double journalRows = run.journalRowsWritten() - journalRowsAtMeasure;
    run.rec.measuring = false;
    if (journalRowsAtMeasure >= 0 && journalRows >= 0) {
      run.summary.put("server_journal_rows_per_s", LoadRun.round(journalRows / measured));
    }
    disturbance.after(devices);
    long backlog = devices.stream().mapToLong(d -> Math.max(0, (System.nanoTime() - d.nextSendNanos) / interval)).sum();
    boolean drained = run.drain(fleet, chaos ? 60 : 30);
    Verifier.Result v = new Verifier(run.httpBase(), run.serviceToken).verify(fleet);

    run.summary.put("merchants", merchants);
    run.summary.put("devices", devices.size());
    run.summary.put("devices_connected", connected);
    run.summary.put("connect_seconds", LoadRun.round(connectSeconds));
    run.summary.put("offered_per_s", rate);
    run.summary.put("pushes_per_second_per_device", pushesPerSecond);
    run.summary.put("duration_s", LoadRun.round(measured));
    run.summary.put("warmup_s", warmup);
    run.summary.put("throughput_per_s", LoadRun.round(accepted / measured));
    run.summary.put("pushes_not_sent_at_end", backlog);
    putLatencies();
    run.summary.put("changes_received_per_s", LoadRun.round(run.rec.changesReceived.sum() / (measured + warmup)));
    run.summary.put("errors", run.rec.errors.sum());
    run.summary.put("error_kinds", run.errorKinds());
    run.summary.put("rejected", run.rec.rejectedMutations.sum());
    run.summary.put("lost", v.lost());
    run.summary.put("converged", v.converged() && drained);
    run.summary.put("divergent_devices", v.divergentDevices());
    run.summary.put("dropped_unacknowledged_by_last_counter", v.droppedUnacknowledged());
    run.summary.put("dropped_unacknowledged_absent_orders", v.droppedAndAbsentOrders());
    if (v.firstDifference() != null) run.notes.add("first divergent device: " + v.firstDifference());
    run.serverFacts();
    devices.forEach(Device::close);
    return fleet;
  }

  private void putLatencies() {
    run.summary.put("ack_p50_ms", LoadRun.round(Recorder.ms(run.rec.ackTotal, 50)));
    run.summary.put("ack_p99_ms", LoadRun.round(Recorder.ms(run.rec.ackTotal, 99)));
    run.summary.put("ack_max_ms", LoadRun.round(run.rec.ackTotal.getMaxValue() / 1000.0));
    run.summary.put("fanout_p50_ms", LoadRun.round(Recorder.ms(run.rec.fanoutTotal, 50)));
    run.summary.put("fanout_p99_ms", LoadRun.round(Recorder.ms(run.rec.fanoutTotal, 99)));
    run.summary.put("fanout_max_ms", LoadRun.round(run.rec.fanoutTotal.getMaxValue() / 1000.0));
  }
}
