package io.lockstep.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bound on the delta history: folding keeps the value and stays within the limit. */
class StockLedgerTest {

  @Test
  void foldingOldDeltasKeepsTheValueOfEveryKeptTake() {
    Stamp stamp = new Stamp(Authority.DEVICE, new Hlc(5, 0), "counter", 1);
    StockLedger ledger = StockLedger.EMPTY.take(stamp, VersionVector.EMPTY, 100);
    long expected = 100;
    for (int i = 1; i <= 3 * StockLedger.DELTA_HISTORY_LIMIT; i++) {
      long amount = i % 3 == 0 ? 3 : -1;
      ledger = ledger.adjust(new Dot("pos-" + i % 4, i), new Hlc(10 + i, 0), amount);
      expected += amount;
      assertEquals(expected, ledger.value());
      assertTrue(ledger.deltas().size() <= StockLedger.DELTA_HISTORY_LIMIT);
    }
    assertTrue(ledger.foldedBase() != 0);
  }

  @Test
  void withoutTakesTheValueIsFoldedBasePlusKeptDeltas() {
    StockLedger ledger = StockLedger.EMPTY;
    for (int i = 1; i <= StockLedger.DELTA_HISTORY_LIMIT + 1; i++) {
      ledger = ledger.adjust(new Dot("pos", i), new Hlc(i, 0), 1);
    }
    assertEquals(StockLedger.DELTA_HISTORY_LIMIT + 1, ledger.value());
    assertEquals(StockLedger.DELTA_HISTORY_LIMIT / 2, ledger.deltas().size());
  }

  @Test
  void theRunningSumOfDeltasAgreesWithTheirWalkThroughReplacementsAndFolding() {
    java.util.Random random = new java.util.Random(42);
    StockLedger ledger = StockLedger.EMPTY;
    for (int i = 1; i <= 3 * StockLedger.DELTA_HISTORY_LIMIT; i++) {
      // Dots repeat now and then (a redelivered delta replaces the one stored under its dot).
      Dot dot = new Dot("pos-" + random.nextInt(3), 1 + random.nextInt(i));
      ledger = ledger.adjust(dot, new Hlc(i, 0), random.nextInt(11) - 5);
      StockLedger rebuilt = new StockLedger(ledger.foldedBase(), ledger.deltas(), ledger.takes());
      assertEquals(rebuilt.value(), ledger.value(), "after " + i + " adjustments");
      assertEquals(rebuilt, ledger);
    }
  }

  @Test
  void aTakeSeesOnlyTheDeltasItsBaseCovers() {
    StockLedger ledger = StockLedger.EMPTY
        .adjust(new Dot("a", 1), new Hlc(1, 0), 5)
        .adjust(new Dot("b", 1), new Hlc(2, 0), -2);
    ledger = ledger.take(new Stamp(Authority.DEVICE, new Hlc(3, 0), "c", 1),
        VersionVector.of(Map.of("a", 1L)), 10);
    assertEquals(8, ledger.value());
  }
}
