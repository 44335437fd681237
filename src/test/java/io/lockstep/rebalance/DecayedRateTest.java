package io.lockstep.rebalance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DecayedRateTest {
  static final long SECOND = 1_000_000_000L;

  @Test
  void aSteadyInputConvergesToItsRate() {
    DecayedRate rate = new DecayedRate(Duration.ofSeconds(10), 0);
    for (long t = 1; t <= 300; t++) rate.add(40, t * SECOND); // 40 per second for 5 minutes
    assertEquals(40, rate.perSecond(300 * SECOND), 40 * 0.05);
  }

  @Test
  void itHalvesEveryHalfLifeWithoutInput() {
    DecayedRate rate = new DecayedRate(Duration.ofSeconds(10), 0);
    rate.add(100, 0);
    double start = rate.perSecond(0);
    assertEquals(start / 2, rate.perSecond(10 * SECOND), 1e-9);
    assertEquals(start / 8, rate.perSecond(30 * SECOND), 1e-9);
  }

  @Test
  void anEarlierClockReadingNeverDecaysBackwards() {
    DecayedRate rate = new DecayedRate(Duration.ofSeconds(10), 5 * SECOND);
    rate.add(10, 5 * SECOND);
    double now = rate.perSecond(5 * SECOND);
    assertEquals(now, rate.perSecond(4 * SECOND), 0);
  }

  @Test
  void aHalfLifeMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> new DecayedRate(Duration.ZERO, 0));
  }
}
