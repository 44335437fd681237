package io.lockstep.load;

import java.util.List;

/** {@code idle}: subscribed connections that send nothing; the node's memory per connection. */
final class IdleScenario {
  private final LoadRun run;

  IdleScenario(LoadRun run) {
    this.run = run;
  }

  /** As many idle, subscribed connections as the file-descriptor limits allow; memory per connection. */
  void run() throws Exception {
    int n = run.intOpt("devices", 15000);
    int perMerchant = run.intOpt("devices-per-merchant", 5);
    ServerProcess server = run.servers.isEmpty() ? null : run.servers.get(0);
    // Warm the code paths with one merchant, then measure from there.
    List<Merchant> warm = run.createFleet("idle-warm", 1, perMerchant, 1);
    run.connectAll(LoadRun.devicesOf(warm), 10);
    long heapBefore = server == null ? 0 : server.heapAfterGc();
    long rssBefore = server == null ? 0 : server.rssBytes();
    Runtime rt = Runtime.getRuntime();
    System.gc();
    long driverBefore = rt.totalMemory() - rt.freeMemory();
    List<Merchant> fleet = run.createFleet("idle", n / perMerchant, perMerchant, 1);
    List<Device> devices = LoadRun.devicesOf(fleet);
    double connectSeconds = run.connectAll(devices, 500);
    long connected = devices.stream().filter(Device::isOpen).count();
    run.rec.measuring = true;
    long end = System.nanoTime() + (long) (run.duration * 1e9);
    while (System.nanoTime() < end) {
      Thread.sleep(Math.min(30_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
      devices.forEach(Device::ping);
    }
    run.rec.measuring = false;
    long stillOpen = devices.stream().filter(Device::isOpen).count();
    long heapAfter = server == null ? 0 : server.heapAfterGc();
    long rssAfter = server == null ? 0 : server.rssBytes();
    System.gc();
    long driverAfter = rt.totalMemory() - rt.freeMemory();
    run.summary.put("devices", n);
    run.summary.put("devices_connected", connected);
    run.summary.put("devices_open_at_end", stillOpen);
    run.summary.put("connect_seconds", LoadRun.round(connectSeconds));
    run.summary.put("connections_per_s", LoadRun.round(connected / connectSeconds));
    run.summary.put("throughput_per_s", 0);
    run.summary.put("ack_p50_ms", 0);
    run.summary.put("ack_p99_ms", 0);
    run.summary.put("fanout_p50_ms", 0);
    run.summary.put("fanout_p99_ms", 0);
    if (connected > 0 && server != null) {
      run.summary.put("server_heap_bytes_per_connection", (heapAfter - heapBefore) / connected);
      run.summary.put("server_rss_bytes_per_connection", (rssAfter - rssBefore) / connected);
      run.summary.put("server_heap_after_gc_mb", heapAfter / 1_000_000);
      run.summary.put("server_rss_mb", rssAfter / 1_000_000);
    }
    run.summary.put("driver_heap_bytes_per_connection", connected == 0 ? 0 : (driverAfter - driverBefore) / connected);
    run.summary.put("errors", run.rec.errors.sum());
    run.summary.put("error_kinds", run.errorKinds());
    run.summary.put("lost", 0);
    run.summary.put("converged", stillOpen == connected);
    run.summary.put("fd_limit_note", "each process is limited to `ulimit -n` descriptors; driver and node each hold one per connection");
    devices.forEach(Device::close);
    LoadRun.devicesOf(warm).forEach(Device::close);
  }
}
