package io.lockstep.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LagTableTest {
  private final LockstepMetrics metrics = new LockstepMetrics();
  private final LagTable table = new LagTable(metrics, Duration.ofMillis(250));

  @Test
  void theWorstDevicesComeFirstByTheirP99AndLeaveWhenTheirSessionEnds() {
    for (int i = 0; i < 99; i++) table.written("m1", "fast", 3, 1);
    table.written("m1", "fast", 4_000, 1); // 1 of 100 above: the p99 stays in the 5 ms bucket
    for (int i = 0; i < 10; i++) table.written("m2", "slow", 400, 2);
    table.applied("m2", "slow", 900);

    List<LagTable.Lag> top = table.top(10);
    assertEquals(List.of("slow", "fast"), top.stream().map(LagTable.Lag::deviceId).toList());
    assertEquals(new LagTable.Lag("m2", "slow", 20, 500, 1, 1000), top.get(0));
    assertEquals(new LagTable.Lag("m1", "fast", 100, 5, 0, 0), top.get(1));
    assertEquals(1, table.top(1).size());

    table.closed("m2", "slow");
    assertEquals(List.of("fast"), table.top(10).stream().map(LagTable.Lag::deviceId).toList());
  }

  @Test
  void oneMerchantsDevicesAreReadWithoutTheOthers() {
    table.written("m1", "b", 3, 1);
    table.written("m1", "a", 400, 1);
    table.written("m2", "c", 3, 1);
    assertEquals(List.of("a", "b"), table.merchant("m1").stream().map(LagTable.Lag::deviceId).toList());
    assertEquals(500, table.merchant("m1").get(0).writtenP99Millis());
    assertEquals(List.of(), table.merchant("unknown"));
    table.closed("m2", "c");
    assertEquals(List.of(), table.merchant("m2"));
  }

  @Test
  void everyWrittenChangeFeedsTheHistogramAndTheSloCounters() {
    table.written("m", "d", 100, 3);
    table.written("m", "d", 300, 2);
    table.applied("m", "d", 120);
    String scrape = new String(metrics.scrape(), StandardCharsets.UTF_8);
    assertTrue(scrape.contains("lockstep_slo_fanout_deliveries_total 5.0"), scrape);
    assertTrue(scrape.contains("lockstep_slo_fanout_good_total 3.0"), scrape);
    assertTrue(scrape.contains("lockstep_delivery_lag_seconds_count 5"), scrape);
    assertTrue(scrape.contains("lockstep_applied_lag_seconds_count 1"), scrape);
  }

  @Test
  void lagsAboveTheLastBoundAreReportedAsMinusOne() {
    table.written("m", "d", 120_000, 1);
    assertEquals(-1, table.top(1).get(0).writtenP99Millis());
  }
}
