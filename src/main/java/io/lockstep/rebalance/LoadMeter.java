package io.lockstep.rebalance;

import java.time.Duration;

/** The decayed rates of one merchant or shard; all mutable state is guarded by this. */
final class LoadMeter {
  /** What a meter measures, each as its own decayed rate. */
  enum Rate { MUTATIONS, DELIVERIES, BYTES_IN, BYTES_OUT, BUSY_NANOS }

  private static final Rate[] RATES = Rate.values();

  final int shard;
  private final DecayedRate[] rates = new DecayedRate[RATES.length];

  LoadMeter(int shard, Duration halfLife, long nowNanos) {
    this.shard = shard;
    for (Rate rate : RATES) rates[rate.ordinal()] = new DecayedRate(halfLife, nowNanos);
  }

  synchronized void add(Rate rate, double amount, long nowNanos) {
    rates[rate.ordinal()].add(amount, nowNanos);
  }

  synchronized Load snapshot(long nowNanos) {
    return new Load(perSecond(Rate.MUTATIONS, nowNanos), perSecond(Rate.DELIVERIES, nowNanos),
        perSecond(Rate.BYTES_IN, nowNanos), perSecond(Rate.BYTES_OUT, nowNanos),
        perSecond(Rate.BUSY_NANOS, nowNanos) / 1e9);
  }

  private double perSecond(Rate rate, long nowNanos) {
    return rates[rate.ordinal()].perSecond(nowNanos);
  }
}
