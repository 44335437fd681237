package io.lockstep.ops;

import io.lockstep.merchant.MerchantObserver;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.rebalance.LoadLedger;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's Prometheus metrics: Lockstep's own ({@code lockstep_*}, fed as a {@link
 * MerchantObserver}) and the JVM's, in one registry per node so several nodes can share a JVM.
 *
 * <pre>
 *   lockstep_mutations_total{status}         acknowledged mutations: accepted, duplicate, rejected
 *   lockstep_conflicts_total{rule}           concurrent edits resolved, by merge rule
 *   lockstep_pushes_refused_total{code}      pushes refused openly: busy, unavailable
 *   lockstep_devices_ahead_total             devices that claimed a seq above their merchant's head
 *   lockstep_journal_write_seconds           one group-commit journal write
 *   lockstep_journal_events_total            events stored
 *   lockstep_fanout_seconds                  write start to change batch sent to subscribers
 *   lockstep_catchup_changes_total           changes sent to catch up subscribers
 *   lockstep_catchup_snapshots_total         catch-ups that needed a snapshot
 *   lockstep_connected_devices               subscribed sessions of merchants on this node
 *   lockstep_active_entities                 merchant entities running on this node
 *   lockstep_journal_write_failures_total    journal writes that failed (each restarts its merchant)
 *   lockstep_cluster_unreachable_members     members this node sees as unreachable
 *   lockstep_delivery_lag_seconds            commit of a change to its write to a device's socket
 *   lockstep_applied_lag_seconds             commit of a change to the device's Applied report
 *   lockstep_slo_fanout_deliveries_total     changes written to device sockets (SLO: all events)
 *   lockstep_slo_fanout_good_total           of those, within lockstep.slo.fanout-threshold
 *   lockstep_node_load                       decayed load score of this node's shards (load units /s, Load#score)
 *   lockstep_node_shards                     merchant shards with a running entity on this node
 *   lockstep_rebalance_moves_total           shard moves the rebalancer started (on the singleton's node)
 * </pre>
 *
 * Labels never carry merchant ids: their number is unbounded; per-merchant load is on the
 * operator routes instead.
 */
public final class LockstepMetrics implements MerchantObserver {
  private static final double[] LATENCY_BUCKETS = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final Counter mutations;
  private final Counter conflicts;
  private final Counter refused;
  private final Counter devicesAhead;
  private final Histogram journalWrite;
  private final Counter journalEvents;
  private final Histogram fanOut;
  private final Counter catchUpChanges;
  private final Counter catchUpSnapshots;
  private final Counter journalFailures;
  private final Histogram deliveryLag;
  private final Histogram appliedLag;
  private final Counter sloAll;
  private final Counter sloGood;
  private final Counter rebalanceMoves;
  private final Map<String, Integer> subscribersByMerchant = new ConcurrentHashMap<>();
  private final Map<String, Boolean> activeMerchants = new ConcurrentHashMap<>();

  /** A registry with Lockstep's and the JVM's metrics. */
  public LockstepMetrics() {
    mutations = Counter.builder().name("lockstep_mutations_total")
        .help("Mutations acknowledged, by ack status").labelNames("status").register(registry);
    conflicts = Counter.builder().name("lockstep_conflicts_total")
        .help("Concurrent edits resolved, by merge rule").labelNames("rule").register(registry);
    refused = Counter.builder().name("lockstep_pushes_refused_total")
        .help("Pushes refused openly (nothing stored; the writer retries), by error code").labelNames("code")
        .register(registry);
    devicesAhead = Counter.builder().name("lockstep_devices_ahead_total")
        .help("Devices that subscribed after a seq above their merchant's head, reset to a snapshot")
        .register(registry);
    journalWrite = Histogram.builder().name("lockstep_journal_write_seconds")
        .help("Duration of one group-commit journal write").classicOnly()
        .classicUpperBounds(LATENCY_BUCKETS).register(registry);
    journalEvents = Counter.builder().name("lockstep_journal_events_total")
        .help("Events stored in the journal").register(registry);
    fanOut = Histogram.builder().name("lockstep_fanout_seconds")
        .help("Time from the start of a journal write to its changes being sent to subscribers")
        .classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(registry);
    catchUpChanges = Counter.builder().name("lockstep_catchup_changes_total")
        .help("Changes sent to subscribers catching up").register(registry);
    catchUpSnapshots = Counter.builder().name("lockstep_catchup_snapshots_total")
        .help("Catch-ups served with a snapshot").register(registry);
    rebalanceMoves = Counter.builder().name("lockstep_rebalance_moves_total")
        .help("Shard moves the load rebalancer started, pins included (counted where the rebalancer runs)")
        .register(registry);
    GaugeWithCallback.builder().name("lockstep_connected_devices")
        .help("Sessions subscribed to merchants hosted on this node")
        .callback(cb -> cb.call(subscribersByMerchant.values().stream().mapToInt(Integer::intValue).sum()))
        .register(registry);
    GaugeWithCallback.builder().name("lockstep_active_entities")
        .help("Merchant entities running on this node")
        .callback(cb -> cb.call(activeMerchants.size()))
        .register(registry);
    journalFailures = Counter.builder().name("lockstep_journal_write_failures_total")
        .help("Journal writes that failed; the merchant restarts and writes the batch again").register(registry);
    deliveryLag = Histogram.builder().name("lockstep_delivery_lag_seconds")
        .help("Time from the commit of a change to its write to a device's socket, per change")
        .classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(registry);
    appliedLag = Histogram.builder().name("lockstep_applied_lag_seconds")
        .help("Time from the commit of a change to the device's report that it applied and stored it")
        .classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(registry);
    sloAll = Counter.builder().name("lockstep_slo_fanout_deliveries")
        .help("Changes written to device sockets (the fan-out SLO's events)").register(registry);
    sloGood = Counter.builder().name("lockstep_slo_fanout_good")
        .help("Changes written to device sockets within lockstep.slo.fanout-threshold of their commit").register(registry);
    JvmMetrics.builder().register(registry);
  }

  /** Registers the node's load gauges, read from {@code ledger} at each scrape. */
  public void nodeLoad(LoadLedger ledger) {
    GaugeWithCallback.builder().name("lockstep_node_load")
        .help("Decayed load score of the merchant shards running on this node, in load units per second: mutations"
            + " + fan-out deliveries + (bytes in + out) / 4 KiB + busy share x 100")
        .callback(cb -> cb.call(ledger.nodeLoad()))
        .register(registry);
    GaugeWithCallback.builder().name("lockstep_node_shards")
        .help("Merchant shards with a running entity on this node")
        .callback(cb -> cb.call(ledger.shardCount()))
        .register(registry);
  }

  /** The rebalancer started {@code count} shard moves. */
  public void rebalanceMoved(int count) {
    rebalanceMoves.inc(count);
  }

  /** Content type of {@link #scrape()}. */
  public String contentType() {
    return writer.getContentType();
  }

  /**
   * The series names a scrape can hold, registered metrics without samples included (counters
   * with {@code _total}, histograms with {@code _bucket}, {@code _count} and {@code _sum}).
   */
  java.util.Set<String> seriesNames() {
    java.util.Set<String> names = new java.util.TreeSet<>();
    for (var snapshot : registry.scrape()) {
      String name = snapshot.getMetadata().getPrometheusName();
      if (snapshot instanceof io.prometheus.metrics.model.snapshots.CounterSnapshot) {
        names.add(name + "_total");
      } else if (snapshot instanceof io.prometheus.metrics.model.snapshots.HistogramSnapshot) {
        names.addAll(java.util.List.of(name, name + "_bucket", name + "_count", name + "_sum"));
      } else {
        names.add(name);
      }
    }
    return names;
  }

  /** Every metric in the Prometheus text format. */
  public byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      writer.write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Reports {@code unreachable} (members this node sees as unreachable) as {@code lockstep_cluster_unreachable_members}. */
  public void clusterUnreachable(java.util.function.IntSupplier unreachable) {
    GaugeWithCallback.builder().name("lockstep_cluster_unreachable_members")
        .help("Cluster members this node sees as unreachable")
        .callback(cb -> cb.call(unreachable.getAsInt()))
        .register(registry);
  }

  @Override
  public void writeFailed(String merchantId) {
    journalFailures.inc();
  }

  /** {@code changes} changes reached a device's socket {@code lagMillis} after their commit. */
  void delivered(long lagMillis, int changes, boolean good) {
    for (int i = 0; i < changes; i++) deliveryLag.observe(lagMillis / 1e3);
    sloAll.inc(changes);
    if (good) sloGood.inc(changes);
  }

  /** A device reported applied a change {@code lagMillis} after its commit. */
  void applied(long lagMillis) {
    appliedLag.observe(lagMillis / 1e3);
  }

  @Override
  public void started(String merchantId, long headSeq) {
    activeMerchants.put(merchantId, Boolean.TRUE);
  }

  @Override
  public void stopped(String merchantId) {
    activeMerchants.remove(merchantId);
    subscribersByMerchant.remove(merchantId);
  }

  @Override
  public void written(String merchantId, int events, long writeNanos, long headSeq) {
    journalWrite.observe(writeNanos / 1e9);
    journalEvents.inc(events);
  }

  @Override
  public void acknowledged(String merchantId, AckStatus status, int count) {
    mutations.labelValues(status.name().toLowerCase(Locale.ROOT)).inc(count);
  }

  @Override
  public void refused(String merchantId, String code) {
    refused.labelValues(code).inc();
  }

  @Override
  public void deviceAhead(String merchantId) {
    devicesAhead.inc();
  }

  @Override
  public void conflict(String merchantId, String rule) {
    conflicts.labelValues(rule).inc();
  }

  @Override
  public void fannedOut(String merchantId, int subscribers, long nanos) {
    fanOut.observe(nanos / 1e9);
  }

  @Override
  public void caughtUp(String merchantId, int changes, boolean snapshot) {
    if (snapshot) {
      catchUpSnapshots.inc();
    } else {
      catchUpChanges.inc(changes);
    }
  }

  @Override
  public void subscribers(String merchantId, int count) {
    subscribersByMerchant.put(merchantId, count);
  }
}
