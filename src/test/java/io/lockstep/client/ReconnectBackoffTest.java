package io.lockstep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReconnectBackoffTest {

  private static final Duration MIN = Duration.ofMillis(100);
  private static final Duration MAX = Duration.ofSeconds(5);

  @Test
  void everyDelayStaysWithinTheBoundsAndTheDoublingCeiling() {
    ReconnectBackoff backoff = new ReconnectBackoff(MIN, MAX, new Random(7));
    for (int attempt = 0; attempt < 200; attempt++) {
      Duration delay = backoff.next();
      long ceiling = Math.min(MAX.toMillis(), MIN.toMillis() << Math.min(attempt, 30));
      assertTrue(delay.compareTo(MIN) >= 0, "attempt " + attempt + ": " + delay);
      assertTrue(delay.toMillis() <= ceiling, "attempt " + attempt + ": " + delay + " > " + ceiling);
    }
  }

  @Test
  void delaysAreJitteredAndReachTheCap() {
    ReconnectBackoff backoff = new ReconnectBackoff(MIN, MAX, new Random(1));
    Set<Duration> capped = new HashSet<>();
    for (int i = 0; i < 10; i++) {
      backoff.next(); // grow to the cap
    }
    for (int i = 0; i < 50; i++) {
      capped.add(backoff.next());
    }
    assertTrue(capped.size() > 40, "jitter spreads delays: " + capped.size() + " distinct");
    assertTrue(capped.stream().anyMatch(d -> d.toMillis() > MAX.toMillis() / 2));
  }

  @Test
  void theSameSeedGivesTheSameDelaysAndDifferentSeedsDiffer() {
    ReconnectBackoff a = new ReconnectBackoff(MIN, MAX, new Random(42));
    ReconnectBackoff b = new ReconnectBackoff(MIN, MAX, new Random(42));
    ReconnectBackoff c = new ReconnectBackoff(MIN, MAX, new Random(43));
    StringBuilder sa = new StringBuilder();
    StringBuilder sb = new StringBuilder();
    StringBuilder sc = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      sa.append(a.next());
      sb.append(b.next());
      sc.append(c.next());
    }
    assertEquals(sa.toString(), sb.toString());
    assertNotEquals(sa.toString(), sc.toString());
  }

  @Test
  void resetStartsAgainFromTheMinimum() {
    ReconnectBackoff backoff = new ReconnectBackoff(MIN, MAX, new Random(3));
    for (int i = 0; i < 20; i++) {
      backoff.next();
    }
    backoff.reset();
    assertEquals(0, backoff.attempts());
    assertEquals(MIN, backoff.next(), "first delay after reset is exactly min (no room for jitter)");
  }

  @Test
  void equalBoundsGiveAFixedDelay() {
    ReconnectBackoff backoff = new ReconnectBackoff(MIN, MIN, new Random(5));
    for (int i = 0; i < 10; i++) {
      assertEquals(MIN, backoff.next());
    }
  }

  @Test
  void badBoundsAreRefusedNamingTheValue() {
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> new ReconnectBackoff(Duration.ZERO, MAX, new Random()));
    assertTrue(zero.getMessage().contains("PT0S"), zero.getMessage());
    IllegalArgumentException inverted = assertThrows(IllegalArgumentException.class,
        () -> new ReconnectBackoff(MAX, MIN, new Random()));
    assertTrue(inverted.getMessage().contains("PT5S"), inverted.getMessage());
  }
}
