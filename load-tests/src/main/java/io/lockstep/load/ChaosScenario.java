package io.lockstep.load;

import com.google.protobuf.Message;
import io.lockstep.api.v1.ItemList;
import io.lockstep.api.v1.OrderList;
import io.lockstep.testing.HttpApi;
import io.lockstep.testing.ServerRecords;
import io.lockstep.testing.history.History;
import io.lockstep.testing.history.HistoryChecker;
import io.lockstep.testing.history.Verdict;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code chaos --fault F [--fault-seconds S]}: the steady mix over a local cluster while {@link
 * ChaosFaults} injects one fault a quarter into the measured time and heals it S seconds later
 * (10; kill: restarts the node at half time; partition: 25, so that the minority is downed). Devices give up on a connection that answers nothing,
 * not even their pings, for {@link #SILENCE_NANOS}, and reconnect to another node. Reports the
 * acknowledged rate before, during and after the fault, the outage (the longest run of seconds
 * below half the rate before), when the rate was back at 90% of the rate before (for 3 s in a
 * row), and the verdict of the history checker over every merchant.
 */
final class ChaosScenario implements MixedLoadScenario.Disturbance {
  private static final long SECOND = 1_000_000_000L;
  private static final long SILENCE_NANOS = 5 * SECOND;
  private static final int VIOLATIONS_SHOWN = 10;
  /** Recovered: back at this share of the rate before the fault ... */
  private static final double RECOVERED_SHARE = 0.9;
  /** ... for this many seconds in a row. */
  private static final int SUSTAINED = 3;

  private final LoadRun run;
  private final ChaosFaults faults;
  private final List<Long> ackedPerSecond = new ArrayList<>();
  private final List<Map<String, Object>> events = new ArrayList<>();
  private long measureFrom;
  private long injectAt;
  private long healAt;
  private long nextSample;
  private long nextPing;
  private long lastAccepted;
  private boolean injected;
  private boolean healed;

  ChaosScenario(LoadRun run) {
    this.run = run;
    this.faults = run.chaosFaults;
  }

  void run(int merchants, int perMerchant, int rate) throws Exception {
    try {
      List<Merchant> fleet = new MixedLoadScenario(run).run(merchants, perMerchant, rate, this);
      report();
      judge(fleet);
    } finally {
      faults.close();
    }
  }

  @Override
  public void during(long now, long start, long measureFrom, List<Device> devices) throws Exception {
    if (injectAt == 0) {
      this.measureFrom = measureFrom;
      injectAt = measureFrom + (long) (run.duration / 4 * SECOND);
      // kill: restart at half time; partition: long enough for the minority to be downed (~13 s); else 10 s.
      String byDefault = switch (faults.fault) {
        case "kill" -> String.valueOf(run.duration / 4);
        case "partition" -> "25";
        default -> "10";
      };
      double seconds = Double.parseDouble(run.opts.getOrDefault("fault-seconds", byDefault));
      healAt = injectAt + (long) (seconds * SECOND);
      nextSample = measureFrom;
      nextPing = start;
    }
    if (now >= nextSample) sample(now, measureFrom);
    if (!injected && now >= injectAt) {
      faults.inject();
      injected = true;
      event(now, start, faults.injection());
    }
    if (injected && !healed && now >= healAt) {
      faults.heal();
      healed = true;
      event(now, start, faults.healing());
    }
    if (now >= nextPing) {
      dropSilent(devices, now);
      nextPing = now + SECOND;
    }
  }

  @Override
  public void after(List<Device> devices) throws Exception {
    if (!healed) faults.heal();
    // Devices of a killed, frozen or refusing node reconnect and resend their outbox before the drain.
    long until = System.nanoTime() + 60 * SECOND;
    while (System.nanoTime() < until && devices.stream().anyMatch(d -> !d.outbox.isEmpty() || !d.isOpen())) {
      dropSilent(devices, System.nanoTime());
      run.reconnectClosed(devices);
      Thread.sleep(500);
    }
    run.summary.put("reconnects", run.rec.reconnects.sum());
  }

  /** Pings every open device (a live node answers a Pong even while its database is away) and drops the silent ones. */
  private static void dropSilent(List<Device> devices, long now) {
    for (Device d : devices) {
      if (!d.isOpen()) continue;
      if (now - d.lastFrameNanos() > SILENCE_NANOS) d.drop();
      else d.ping();
    }
  }

  private void sample(long now, long measureFrom) {
    if (now < measureFrom) return;
    long accepted = run.rec.acceptedMutations.sum();
    if (nextSample > measureFrom) ackedPerSecond.add(accepted - lastAccepted);
    lastAccepted = accepted;
    nextSample += SECOND;
  }

  private void event(long now, long start, String what) {
    events.add(Map.of("t_s", LoadRun.round((now - start) / 1e9), "event", what));
    System.out.println("chaos: " + what);
  }

  /** Rates per phase (second buckets from the start of measurement), outage and recovery. */
  private void report() {
    int inject = (int) ((injectAt - measureFrom) / SECOND);
    int heal = (int) ((healAt - measureFrom) / SECOND);
    double before = mean(0, inject);
    run.summary.put("fault", faults.fault);
    run.summary.put("chaos_events", events);
    run.summary.put("acked_per_s_before", LoadRun.round(before));
    run.summary.put("acked_per_s_during", LoadRun.round(mean(inject, heal)));
    run.summary.put("acked_per_s_after", LoadRun.round(mean(heal, ackedPerSecond.size())));
    int longest = 0;
    int current = 0;
    for (int i = inject; i < ackedPerSecond.size(); i++) {
      current = ackedPerSecond.get(i) < before / 2 ? current + 1 : 0;
      longest = Math.max(longest, current);
    }
    run.summary.put("outage_s", longest);
    int recovered = recoveredAt(inject, before * RECOVERED_SHARE);
    run.summary.put("recovered_s_after_fault", recovered < 0 ? -1 : recovered - inject);
    run.summary.put("recovered_s_after_heal", recovered < 0 ? -1 : Math.max(0, recovered - heal));
    run.summary.put("acked_per_second", ackedPerSecond);
  }

  /**
   * The first second from which the rate stays at least {@code rate} for {@link #SUSTAINED}
   * seconds, once it fell below it at or after {@code inject} ({@code inject} when it never fell;
   * -1 when it never came back). A burst of resent outboxes alone does not count as recovered.
   */
  private int recoveredAt(int inject, double rate) {
    int fell = inject;
    while (fell < ackedPerSecond.size() && ackedPerSecond.get(fell) >= rate) fell++;
    if (fell >= ackedPerSecond.size()) return inject;
    for (int i = fell; i + SUSTAINED <= ackedPerSecond.size(); i++) {
      final int from = i;
      if (java.util.stream.IntStream.range(from, from + SUSTAINED).allMatch(j -> ackedPerSecond.get(j) >= rate)) return i;
    }
    return -1;
  }

  private double mean(int from, int to) {
    from = Math.max(0, from);
    to = Math.min(ackedPerSecond.size(), to);
    if (to <= from) return 0;
    return ackedPerSecond.subList(from, to).stream().mapToLong(Long::longValue).sum() / (double) (to - from);
  }

  /** Every merchant's history, with the server's change feed and state, through the checker. */
  private void judge(List<Merchant> fleet) {
    HttpApi http = new HttpApi(run.servers.get(0).host, run.servers.get(0).httpPort);
    Map<String, Long> kinds = new LinkedHashMap<>();
    List<String> shown = new ArrayList<>();
    int invalid = 0;
    for (Merchant merchant : fleet) {
      History history = merchant.history;
      for (Device device : merchant.devices) history.finalReplica(device.deviceId, replica(device));
      history.serverOrderFromChanges(ServerRecords.changeFeed(http, run.serviceToken, merchant.id));
      Map<String, Message> state = new HashMap<>();
      HttpApi.<ItemList>parse(http.get("/v1/merchants/" + merchant.id + "/items", run.serviceToken).body(),
          ItemList.newBuilder()).getItemsList().forEach(i -> state.put(History.key(i), i));
      HttpApi.<OrderList>parse(http.get("/v1/merchants/" + merchant.id + "/orders", run.serviceToken).body(),
          OrderList.newBuilder()).getOrdersList().forEach(o -> state.put(History.key(o), o));
      history.serverState(state);
      Verdict verdict = HistoryChecker.check(history);
      if (verdict.ok()) continue;
      invalid++;
      verdict.violations().forEach(v -> {
        kinds.merge(v.kind().name(), 1L, Long::sum);
        if (shown.size() < VIOLATIONS_SHOWN) shown.add(merchant.id + ": " + v);
      });
    }
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("valid", invalid == 0);
    summary.put("merchants_checked", fleet.size());
    summary.put("merchants_invalid", invalid);
    summary.put("violations", kinds);
    summary.put("first_violations", shown);
    run.summary.put("history_checker", summary);
    System.out.println("history checker: " + (invalid == 0 ? "valid" : invalid + " merchants invalid " + kinds));
  }

  private static Map<String, Message> replica(Device device) {
    Map<String, Message> records = new HashMap<>();
    device.items.values().forEach(i -> records.put(History.key(i), i));
    device.orders.values().forEach(o -> records.put(History.key(o), o));
    return records;
  }
}
