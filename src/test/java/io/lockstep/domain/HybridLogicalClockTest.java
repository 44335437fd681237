package io.lockstep.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.Example;

class HybridLogicalClockTest {

  @Example
  void sameMillisecondCountsLogically() {
    HybridLogicalClock clock = new HybridLogicalClock(() -> 100);
    assertEquals(new Hlc(100, 0), clock.now());
    assertEquals(new Hlc(100, 1), clock.now());
  }

  @Example
  void receivingFromTheFutureMovesPastIt() {
    HybridLogicalClock clock = new HybridLogicalClock(() -> 100);
    assertEquals(new Hlc(500, 8), clock.observe(new Hlc(500, 7)));
    assertEquals(new Hlc(500, 9), clock.now());
  }

  @Property
  void timestampsOnlyGrowAndPassObservedOnes(@ForAll @LongRange(min = 0, max = 1000) long wall,
      @ForAll @LongRange(min = 0, max = 1000) long remotePhysical,
      @ForAll @IntRange(min = 0, max = 5) int remoteLogical) {
    AtomicLong time = new AtomicLong(wall);
    HybridLogicalClock clock = new HybridLogicalClock(time::get);
    Hlc first = clock.now();
    time.set(wall / 2);
    Hlc remote = new Hlc(remotePhysical, remoteLogical);
    Hlc received = clock.observe(remote);
    Hlc next = clock.now();
    assertTrue(received.compareTo(first) > 0 && received.compareTo(remote) > 0);
    assertTrue(next.compareTo(received) > 0);
  }

  @Property
  void packRoundTrips(@ForAll @LongRange(min = 0, max = Hlc.MAX_PHYSICAL) long physical,
      @ForAll @IntRange(min = 0, max = Hlc.MAX_LOGICAL) int logical) {
    Hlc hlc = new Hlc(physical, logical);
    assertEquals(hlc, Hlc.unpack(hlc.pack()));
    assertEquals((physical << 16) | logical, hlc.pack());
  }
}
