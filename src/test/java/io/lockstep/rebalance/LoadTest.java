package io.lockstep.rebalance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;

/**
 * The load score weighs every measured rate in load units (one per accepted mutation), and adds
 * up: a shard's score is its merchants' sum, a node's its shards', which the planner relies on.
 */
class LoadTest {

  @Example
  void everyRateWeighsInLoadUnits() {
    // 10 mutations/s of 200 bytes, each sent to 3 subscribers as a 600-byte frame, 2 ms per write.
    Load merchant = new Load(10, 30, 2_000, 18_000, 0.02);
    assertEquals(10 + 30 + 20_000 / 4096.0 + 2, merchant.score(), 1e-9);
    assertEquals(1, new Load(1, 0, 0, 0, 0).score(), 0);
    assertEquals(1, new Load(0, 1, 0, 0, 0).score(), 0);
    assertEquals(1, new Load(0, 0, 4096, 0, 0).score(), 0);
    assertEquals(1, new Load(0, 0, 0, 4096, 0).score(), 0);
    assertEquals(1, new Load(0, 0, 0, 0, 0.01).score(), 1e-12, "10 ms of journal write in flight per second");
  }

  @Example
  void aMerchantWithLargeRecordsAndSlowWritesOutweighsOneWithTheSameCounts() {
    Load small = new Load(10, 30, 2_000, 18_000, 0.02);
    Load large = new Load(10, 30, 160_000, 1_440_000, 0.5); // 16 KiB records, 50 ms writes
    assertTrue(large.score() > 2 * small.score(), large.score() + " vs " + small.score());
  }

  @Property(tries = 300)
  void theScoreAddsUp(@ForAll("loads") Load a, @ForAll("loads") Load b) {
    assertEquals(a.score() + b.score(), a.plus(b).score(), 1e-9 * (1 + a.score() + b.score()));
  }

  @Property(tries = 300)
  void everyRateRaisesTheScore(@ForAll("loads") Load load, @ForAll @DoubleRange(min = 1, max = 1e4) double more) {
    for (Load higher : new Load[] {
        load.plus(new Load(more, 0, 0, 0, 0)), load.plus(new Load(0, more, 0, 0, 0)),
        load.plus(new Load(0, 0, more, 0, 0)), load.plus(new Load(0, 0, 0, more, 0)),
        load.plus(new Load(0, 0, 0, 0, more / 1e4))}) {
      assertTrue(higher.score() > load.score(), higher + " should weigh more than " + load);
    }
  }

  @Provide
  Arbitrary<Load> loads() {
    Arbitrary<Double> rate = Arbitraries.doubles().between(0, 1e4);
    return Combinators.combine(rate, rate, Arbitraries.doubles().between(0, 1e7), Arbitraries.doubles().between(0, 1e7),
        Arbitraries.doubles().between(0, 50)).as(Load::new);
  }
}
