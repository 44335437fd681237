package io.lockstep.load;

import io.lockstep.security.DevicePrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code reconnect-storm}: a fleet reconnecting at once after falling behind, and one device far behind. */
final class ReconnectStormScenario {
  private final LoadRun run;

  ReconnectStormScenario(LoadRun run) {
    this.run = run;
  }

  /**
   * Thousands of devices go offline, their merchants move on by {@code behind} changes, and all
   * devices reconnect at once; then one device catches up from far behind (journal path).
   */
  void run() throws Exception {
    int behind = run.intOpt("behind", 1000);
    List<Merchant> fleet = run.createFleet("storm", run.intOpt("merchants", 20), run.intOpt("devices-per-merchant", 100), 20);
    List<Device> devices = LoadRun.devicesOf(fleet);
    run.connectAll(devices, 200);
    for (Merchant m : fleet) m.devices.get(0).pushCatalog(System.nanoTime());
    LoadRun.await(() -> devices.stream().allMatch(d -> d.outbox.isEmpty()), 60);
    LoadRun.await(() -> devices.stream().allMatch(d -> d.appliedSeq >= d.merchant.itemIds.size()), 30);
    for (Device d : devices) d.close();
    LoadRun.await(() -> devices.stream().allMatch(d -> d.closed.isDone()), 30);
    // One writer per merchant moves it on while its devices are away.
    List<Merchant> writers = new ArrayList<>();
    for (Merchant m : fleet) {
      Merchant w = new Merchant(m.id, 0, false);
      Device writer = new Device(m, "writer", run.tokens.mint(new DevicePrincipal(m.id, "writer")), run.rec);
      w.add(writer);
      m.byDeviceId.put("writer", writer);
      writers.add(w);
    }
    List<Device> writerDevices = LoadRun.devicesOf(writers);
    run.connectAll(writerDevices, 200);
    for (int sent = 0; sent < behind; sent += 100) {
      for (Device w : writerDevices) w.pushRestocks(System.nanoTime(), Math.min(100, behind - sent));
      LoadRun.await(() -> writerDevices.stream().allMatch(d -> d.pushesInFlight.get() < 4), 60);
    }
    LoadRun.await(() -> writerDevices.stream().allMatch(d -> d.outbox.isEmpty()), 120);
    writerDevices.forEach(Device::close);
    long changesBefore = run.rec.changesReceived.sum();
    run.rec.measuring = true;
    long start = System.nanoTime();
    run.connectAll(devices, Integer.MAX_VALUE);
    // A device whose connection failed retries (after 0.5 s), as a real one would with its backoff.
    LoadRun.await(() -> {
      run.reconnectClosed(devices);
      return devices.stream().allMatch(d -> d.caughtUp.isDone());
    }, run.intOpt("storm-timeout", 180));
    double seconds = (System.nanoTime() - start) / 1e9;
    run.rec.measuring = false;
    long caughtUp = devices.stream().filter(d -> d.caughtUp.isDone()).count();
    boolean all = caughtUp == devices.size();
    run.summary.put("devices_caught_up", caughtUp);
    long delivered = run.rec.changesReceived.sum() - changesBefore;
    run.summary.put("devices", devices.size());
    run.summary.put("merchants", fleet.size());
    run.summary.put("behind_changes", behind);
    run.summary.put("storm_seconds", LoadRun.round(seconds));
    run.summary.put("storm_all_caught_up", all);
    run.summary.put("throughput_per_s", LoadRun.round(delivered / seconds));
    run.summary.put("throughput_unit", "catch-up changes delivered per second, all devices");
    synchronized (run.rec) {
      run.rec.catchUpTotal.add(run.rec.catchUp.getIntervalHistogram());
    }
    run.summary.put("catchup_p50_ms", LoadRun.round(Recorder.ms(run.rec.catchUpTotal, 50)));
    run.summary.put("catchup_p99_ms", LoadRun.round(Recorder.ms(run.rec.catchUpTotal, 99)));
    Verifier.Result v = new Verifier(run.httpBase(), run.serviceToken).verify(fleet);
    run.summary.put("lost", v.lost());
    run.summary.put("converged", v.converged());
    devices.forEach(Device::close);

    // One device, far behind: served from the journal at the device's pace.
    int deep = run.intOpt("deep", 50000);
    List<Merchant> single = run.createFleet("deep", 1, 1, 20);
    Merchant m = single.get(0);
    Device writer = new Device(m, "writer", run.tokens.mint(new DevicePrincipal(m.id, "writer")), run.rec);
    m.add(writer);
    run.connectAll(List.of(writer), 1);
    writer.pushCatalog(System.nanoTime());
    for (int sent = 0; sent < deep; sent += 500) {
      writer.pushRestocks(System.nanoTime(), Math.min(500, deep - sent));
      LoadRun.await(() -> writer.pushesInFlight.get() < 6, 60);
      // Below the node's 50 pushes/s per device (lockstep.limits.max-pushes-per-second), as a
      // device paces itself: beyond it the node closes the session ("rate-limited").
      java.util.concurrent.locks.LockSupport.parkNanos(25_000_000L);
    }
    LoadRun.await(() -> writer.outbox.isEmpty(), 120);
    writer.close();
    // Twice: a device that applies every change (a replica, as a till does), then one that only
    // checks each seq arrives once, in order, without a gap, so that the second measures what the
    // node delivers rather than what the driver's one thread decodes beside the node.
    run.summary.put("single_device_catchup", catchUp(m.devices.get(0), false));
    Device counting = new Device(m, "counting", run.tokens.mint(new DevicePrincipal(m.id, "counting")), run.rec);
    m.add(counting);
    run.summary.put("single_device_catchup_seqs_only", catchUp(counting, true));
    run.summary.put("ack_p50_ms", 0);
    run.summary.put("ack_p99_ms", 0);
    run.summary.put("fanout_p50_ms", 0);
    run.summary.put("fanout_p99_ms", 0);
    run.summary.put("errors", run.rec.errors.sum());
    run.summary.put("error_kinds", run.errorKinds());
    run.notes.add("ack/fanout are not measured in reconnect-storm (no live load); see catchup_* and single_device_catchup");
  }

  /** One device connecting from seq 0 to the head: its changes per second, and whether it got them all. */
  private Map<String, Object> catchUp(Device reader, boolean seqsOnly) throws Exception {
    reader.seqsOnly = seqsOnly;
    long before = run.rec.changesReceived.sum();
    long errors = run.rec.errors.sum();
    long t0 = System.nanoTime();
    run.connectAll(List.of(reader), 1);
    boolean done = LoadRun.await(() -> reader.caughtUp.isDone(), 120);
    double s = (System.nanoTime() - t0) / 1e9;
    long got = run.rec.changesReceived.sum() - before;
    reader.close();
    return Map.of("changes", got, "seconds", LoadRun.round(s), "changes_per_s", LoadRun.round(got / s),
        "complete", done, "head_seq", reader.headSeqAtWelcome, "errors", run.rec.errors.sum() - errors,
        "reader", seqsOnly ? "seqs only (each once, in order, no gap)" : "applies every change");
  }
}