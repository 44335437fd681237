package io.lockstep.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConnectionLagTest {
  private final List<Long> applied = new ArrayList<>();
  private final ConnectionLag lag = new ConnectionLag(new DeliveryLag() {
    @Override
    public void written(String merchantId, String deviceId, long lagMillis, int changes) {}

    @Override
    public void applied(String merchantId, String deviceId, long lagMillis) {
      applied.add(lagMillis);
    }

    @Override
    public void closed(String merchantId, String deviceId) {}
  });

  @Test
  void anAppliedSeqIsTimedFromTheCommitOfTheFrameThatHeldIt() {
    lag.identify("m", "d");
    lag.queued(10, 1_000); // seqs 1..10
    lag.queued(12, 2_000); // 11..12
    lag.queued(20, 3_000); // 13..20
    lag.applied(11, 5_000);
    lag.applied(20, 5_000);
    lag.applied(5, 5_000);
    lag.applied(21, 5_000); // beyond every live frame: not timed
    assertEquals(List.of(3_000L, 2_000L, 4_000L), applied);
  }

  @Test
  void anAppliedReportBeforeAnyLiveFrameIsNotTimed() {
    lag.identify("m", "d");
    lag.applied(3, 5_000);
    assertEquals(List.of(), applied);
  }

  /** The ring starts small and grows: every size on the way keeps the frames in order. */
  @Test
  void theRingFindsTheFrameThatHeldASeqAtEverySizeItGrowsThrough() {
    lag.identify("m", "d");
    for (int i = 1; i <= ConnectionLag.REMEMBERED; i++) {
      lag.queued(2L * i, 10L * i); // frame i holds seqs 2i-1 and 2i, committed at 10i
      if (Integer.bitCount(i) == 1 || i % 97 == 0) { // 1, 2, 4, 8, 16 (growth), 17 … and between
        applied.clear();
        lag.applied(2L * i - 1, 100_000);
        lag.applied(1, 100_000);
        assertEquals(List.of(100_000L - 10L * i, 100_000L - 10), applied, "after " + i + " frames");
      }
    }
  }

  @Test
  void theRingKeepsTheNewestFramesWhenItWrapsAround() {
    lag.identify("m", "d");
    for (int i = 1; i <= ConnectionLag.REMEMBERED + 10; i++) lag.queued(i, i);
    lag.applied(ConnectionLag.REMEMBERED + 10, 10_000);
    lag.applied(11, 10_000); // the oldest frame still remembered
    lag.applied(10, 10_000); // overwritten: timed from the oldest remembered, never from a later one
    assertEquals(List.of(10_000L - (ConnectionLag.REMEMBERED + 10), 10_000L - 11, 10_000L - 11), applied);
  }
}
