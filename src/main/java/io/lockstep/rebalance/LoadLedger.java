package io.lockstep.rebalance;

import io.lockstep.merchant.MerchantObserver;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.rebalance.LoadMeter.Rate;
import java.time.Duration;
import java.util.BitSet;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The load of this node, per merchant and per shard, kept as a {@link MerchantObserver}: every
 * rate decays with {@code halfLife}. Recording a mutation, a fan-out or a write looks up the
 * merchant's meter and updates it and its shard's in place: no allocation on the entity's path
 * (a merchant's first event after it started allocates its meter).
 *
 * <p>A merchant's shard is the one Cluster Sharding's default extractor gives it,
 * {@code |hashCode % number-of-shards|}. Thread-safe: entities write from their own threads.
 */
public final class LoadLedger implements MerchantObserver {
  /** Shards whose decayed score fell below this are no longer reported once idle here. */
  static final double REPORT_FLOOR = 1e-3;

  private final Duration halfLife;
  private final LongSupplier nanoTime;
  private final LoadMeter[] shards;
  private final Map<String, LoadMeter> merchants = new ConcurrentHashMap<>();

  public LoadLedger(int numberOfShards, Duration halfLife, LongSupplier nanoTime) {
    if (numberOfShards < 1) throw new IllegalArgumentException("numberOfShards < 1: " + numberOfShards);
    this.halfLife = halfLife;
    this.nanoTime = nanoTime;
    long now = nanoTime.getAsLong();
    this.shards = new LoadMeter[numberOfShards];
    for (int i = 0; i < numberOfShards; i++) shards[i] = new LoadMeter(i, halfLife, now);
  }

  /** The shard Cluster Sharding's {@code HashCodeMessageExtractor} puts {@code merchantId} in. */
  public static int shardOf(String merchantId, int numberOfShards) {
    return Math.abs(merchantId.hashCode() % numberOfShards);
  }

  public int numberOfShards() {
    return shards.length;
  }

  /** The load of {@code merchantId} if its entity runs on this node. */
  public Optional<Load> merchant(String merchantId) {
    LoadMeter meter = merchants.get(merchantId);
    return meter == null ? Optional.empty() : Optional.of(meter.snapshot(nanoTime.getAsLong()));
  }

  /**
   * Every shard with a running entity here or recent load, by shard id. A shard that moved away
   * is reported until its load decays: the planner adds up all nodes' reports of a shard.
   */
  public Map<String, Load> shards() {
    long now = nanoTime.getAsLong();
    BitSet running = runningShards();
    Map<String, Load> result = new TreeMap<>();
    for (LoadMeter meter : shards) {
      Load load = meter.snapshot(now);
      if (running.get(meter.shard) || load.score() >= REPORT_FLOOR) result.put(Integer.toString(meter.shard), load);
    }
    return result;
  }

  /** The summed score of the shards with a running entity on this node. */
  public double nodeLoad() {
    long now = nanoTime.getAsLong();
    BitSet running = runningShards();
    double total = 0;
    for (int shard = running.nextSetBit(0); shard >= 0; shard = running.nextSetBit(shard + 1)) {
      total += shards[shard].snapshot(now).score();
    }
    return total;
  }

  /** How many shards have at least one running entity on this node. */
  public int shardCount() {
    return runningShards().cardinality();
  }

  private BitSet runningShards() {
    BitSet running = new BitSet(shards.length);
    merchants.values().forEach(meter -> running.set(meter.shard));
    return running;
  }

  private LoadMeter meter(String merchantId) {
    LoadMeter meter = merchants.get(merchantId);
    if (meter != null) return meter;
    return merchants.computeIfAbsent(merchantId,
        id -> new LoadMeter(shardOf(id, shards.length), halfLife, nanoTime.getAsLong()));
  }

  @Override
  public void started(String merchantId, long headSeq) {
    meter(merchantId);
  }

  @Override
  public void stopped(String merchantId) {
    merchants.remove(merchantId);
  }

  @Override
  public void acknowledged(String merchantId, AckStatus status, int count) {
    if (status == AckStatus.ACCEPTED) record(merchantId, Rate.MUTATIONS, count);
  }

  @Override
  public void fannedOut(String merchantId, int subscribers, long nanos) {
    record(merchantId, Rate.DELIVERIES, subscribers);
  }

  @Override
  public void written(String merchantId, int events, long writeNanos, long headSeq) {
    record(merchantId, Rate.BUSY_NANOS, writeNanos);
  }

  @Override
  public void transferred(String merchantId, long bytesIn, long bytesOut) {
    record(merchantId, Rate.BYTES_IN, bytesIn);
    record(merchantId, Rate.BYTES_OUT, bytesOut);
  }

  private void record(String merchantId, Rate rate, double amount) {
    long now = nanoTime.getAsLong();
    LoadMeter meter = meter(merchantId);
    meter.add(rate, amount, now);
    shards[meter.shard].add(rate, amount, now);
  }
}
