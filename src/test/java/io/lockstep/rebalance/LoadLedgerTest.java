package io.lockstep.rebalance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.protocol.v1.AckStatus;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.junit.jupiter.api.Test;

class LoadLedgerTest {
  static final long SECOND = 1_000_000_000L;
  final AtomicLong clock = new AtomicLong(1);
  final LoadLedger ledger = new LoadLedger(16, Duration.ofSeconds(10), clock::get);

  @Test
  void aMerchantsShardIsTheOneShardingGivesIt() {
    var pekko = new HashCodeMessageExtractor<Object>(256);
    for (String id : new String[] {"m1", "merchant-42", "", "Aa", "BB", "polygenelubricants", "\u00e9t\u00e9"}) {
      assertEquals(pekko.shardId(id), Integer.toString(LoadLedger.shardOf(id, 256)), id);
    }
    for (int i = 0; i < 10_000; i++) {
      String id = "merchant-" + i * 7919;
      assertEquals(pekko.shardId(id), Integer.toString(LoadLedger.shardOf(id, 256)), id);
    }
  }

  @Test
  void mutationsDeliveriesBytesAndBusyTimeAddUpPerMerchantAndShard() {
    String busy = "busy";
    String neighbour = sameShardAs(busy);
    ledger.started(busy, 0);
    ledger.started(neighbour, 0);
    for (int s = 1; s <= 120; s++) {
      clock.set(s * SECOND);
      ledger.acknowledged(busy, AckStatus.ACCEPTED, 10);
      ledger.acknowledged(busy, AckStatus.DUPLICATE, 5); // not work done again
      ledger.fannedOut(busy, 3, 1000);
      ledger.written(busy, 10, SECOND / 4, s);
      ledger.transferred(busy, 500, 3000);
      ledger.acknowledged(neighbour, AckStatus.ACCEPTED, 2);
    }
    Load merchant = ledger.merchant(busy).orElseThrow();
    assertEquals(10, merchant.mutations(), 0.5);
    assertEquals(3, merchant.deliveries(), 0.15);
    assertEquals(500, merchant.bytesIn(), 25);
    assertEquals(3000, merchant.bytesOut(), 150);
    assertEquals(0.25, merchant.busy(), 0.02);
    // 10 + 3 + 3,500 bytes / 4 KiB + 0.25 busy x 100
    assertEquals(10 + 3 + 3500 / 4096.0 + 25, merchant.score(), 2);

    String shard = Integer.toString(LoadLedger.shardOf(busy, 16));
    Load shardLoad = ledger.shards().get(shard);
    assertEquals(12, shardLoad.mutations(), 0.6);
    assertEquals(shardLoad.score(), ledger.nodeLoad(), 1e-9);
    assertEquals(12 + 3 + 3500 / 4096.0 + 25, ledger.nodeLoad(), 2);
    assertEquals(1, ledger.shardCount());
  }

  @Test
  void aStoppedMerchantLeavesItsShardDecayingAndNoLongerCountsForTheNode() {
    ledger.started("m", 0);
    for (int s = 1; s <= 60; s++) {
      clock.set(s * SECOND);
      ledger.acknowledged("m", AckStatus.ACCEPTED, 4);
    }
    ledger.stopped("m");
    assertTrue(ledger.merchant("m").isEmpty());
    assertEquals(0, ledger.shardCount());
    assertEquals(0, ledger.nodeLoad(), 0);
    String shard = Integer.toString(LoadLedger.shardOf("m", 16));
    assertTrue(ledger.shards().get(shard).mutations() > 3, "reported while it decays: " + ledger.shards());
    clock.addAndGet(600 * SECOND); // 60 half-lives
    assertEquals(Map.of(), ledger.shards());
  }

  @Test
  void recordingAllocatesNothing() {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    ledger.started("hot", 0);
    record(1_000); // the meter exists; warm up
    long before = threads.getThreadAllocatedBytes(thread);
    record(100_000);
    long allocated = threads.getThreadAllocatedBytes(thread) - before;
    assertTrue(allocated < 4096, "allocated " + allocated + " bytes for 100000 events");
  }

  private void record(int times) {
    for (int i = 0; i < times; i++) {
      clock.addAndGet(1000);
      ledger.acknowledged("hot", AckStatus.ACCEPTED, 1);
      ledger.fannedOut("hot", 4, 1000);
      ledger.written("hot", 1, 500, i);
      ledger.transferred("hot", 64, 256);
    }
  }

  private static String sameShardAs(String id) {
    for (int i = 0; ; i++) {
      String other = "other-" + i;
      if (LoadLedger.shardOf(other, 16) == LoadLedger.shardOf(id, 16)) return other;
    }
  }
}
