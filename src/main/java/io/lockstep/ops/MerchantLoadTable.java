package io.lockstep.ops;

import io.lockstep.merchant.MerchantObserver;
import io.lockstep.ops.v1.MerchantLoad;
import io.lockstep.protocol.v1.AckStatus;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The load of every merchant entity running on this node, kept up to date as a {@link
 * MerchantObserver}: accepted mutations per second over the last {@value #WINDOW_SECONDS}
 * seconds, subscribed sessions, head seq and time of the last write. A merchant leaves the
 * table when its entity stops here (passivation or hand-off).
 *
 * <p>Thread-safe: entities write from their own threads, queries read a snapshot.
 */
public final class MerchantLoadTable implements MerchantObserver {
  static final int WINDOW_SECONDS = 10;

  private final Map<String, Load> loads = new ConcurrentHashMap<>();
  private final Clock clock;
  private final String node;

  public MerchantLoadTable(Clock clock, String node) {
    this.clock = clock;
    this.node = node;
  }

  /** The load of {@code merchantId} if its entity runs on this node. */
  public Optional<MerchantLoad> load(String merchantId) {
    Load load = loads.get(merchantId);
    return load == null ? Optional.empty() : Optional.of(load.snapshot(merchantId, clock.millis(), node));
  }

  /** The {@code top} merchants of this node by mutation rate, then by connected devices. */
  public List<MerchantLoad> hottest(int top) {
    long now = clock.millis();
    return loads.entrySet().stream()
        .map(e -> e.getValue().snapshot(e.getKey(), now, node))
        .sorted(HOTTEST_FIRST)
        .limit(top)
        .toList();
  }

  /** Busiest first: mutation rate, then connected devices, then merchant id for a stable order. */
  public static final Comparator<MerchantLoad> HOTTEST_FIRST =
      Comparator.comparingDouble(MerchantLoad::getMutationsPerSecond).reversed()
          .thenComparing(Comparator.comparingInt(MerchantLoad::getConnectedDevices).reversed())
          .thenComparing(MerchantLoad::getMerchantId);

  private Load of(String merchantId) {
    return loads.computeIfAbsent(merchantId, id -> new Load());
  }

  @Override
  public void started(String merchantId, long headSeq) {
    of(merchantId).headSeq(headSeq);
  }

  @Override
  public void stopped(String merchantId) {
    loads.remove(merchantId);
  }

  @Override
  public void written(String merchantId, int events, long writeNanos, long headSeq) {
    of(merchantId).written(headSeq, clock.millis());
  }

  @Override
  public void acknowledged(String merchantId, AckStatus status, int count) {
    if (status == AckStatus.ACCEPTED) {
      of(merchantId).accepted(count, clock.millis());
    }
  }

  @Override
  public void subscribers(String merchantId, int count) {
    of(merchantId).subscribers(count);
  }

  /** One merchant: a ring of per-second counts, guarded by its own monitor (one writer, rare readers). */
  private static final class Load {
    private final long[] perSecond = new long[WINDOW_SECONDS];
    private long currentSecond;
    private long headSeq;
    private long lastWriteMillis;
    private int subscribers;

    synchronized void headSeq(long seq) {
      headSeq = Math.max(headSeq, seq);
    }

    synchronized void written(long seq, long nowMillis) {
      headSeq = Math.max(headSeq, seq);
      lastWriteMillis = nowMillis;
    }

    synchronized void subscribers(int count) {
      subscribers = count;
    }

    synchronized void accepted(int count, long nowMillis) {
      advance(nowMillis / 1000);
      perSecond[(int) (currentSecond % WINDOW_SECONDS)] += count;
    }

    synchronized MerchantLoad snapshot(String merchantId, long nowMillis, String node) {
      advance(nowMillis / 1000);
      long total = 0;
      for (long c : perSecond) {
        total += c;
      }
      return MerchantLoad.newBuilder()
          .setMerchantId(merchantId)
          .setMutationsPerSecond((double) total / WINDOW_SECONDS)
          .setConnectedDevices(subscribers)
          .setHeadSeq(headSeq)
          .setLastWriteMillis(lastWriteMillis)
          .setNode(node)
          .build();
    }

    private void advance(long second) {
      if (second <= currentSecond) {
        return;
      }
      long gap = Math.min(second - currentSecond, WINDOW_SECONDS);
      for (long s = 1; s <= gap; s++) {
        perSecond[(int) ((currentSecond + s) % WINDOW_SECONDS)] = 0;
      }
      currentSecond = second;
    }
  }
}
