package io.lockstep.merchant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Each row of {@link CatchUpPlan}'s table, and its edges. */
class CatchUpPlanTest {
  private static final long LIMIT = 1_000;
  private static final long NO_WINDOW = 101; // head + 1 for a merchant at 100

  @Test
  void aDeviceAheadOfTheHeadIsResetWhateverTheWindowHolds() {
    assertEquals(new CatchUpPlan.DeviceAhead(), CatchUpPlan.of(101, 100, 90, LIMIT));
    assertEquals(new CatchUpPlan.DeviceAhead(), CatchUpPlan.of(1, 0, 1, LIMIT), "a merchant that stored nothing");
  }

  @Test
  void aDeviceAtTheHeadGetsNothing() {
    assertEquals(new CatchUpPlan.UpToDate(), CatchUpPlan.of(100, 100, 90, LIMIT));
    assertEquals(new CatchUpPlan.UpToDate(), CatchUpPlan.of(0, 0, 1, LIMIT));
  }

  @Test
  void theWindowServesADeviceWhoseNextSeqItHolds() {
    assertEquals(new CatchUpPlan.FromWindow(), CatchUpPlan.of(89, 100, 90, LIMIT), "the window starts at its next seq");
    assertEquals(new CatchUpPlan.FromWindow(), CatchUpPlan.of(99, 100, 90, LIMIT));
    assertEquals(new CatchUpPlan.FromWindow(), CatchUpPlan.of(0, 100, 1, 10), "whatever the limit");
  }

  @Test
  void theJournalServesThePartBeforeTheWindow() {
    assertEquals(new CatchUpPlan.JournalThenWindow(11, 89), CatchUpPlan.of(10, 100, 90, LIMIT));
    assertEquals(new CatchUpPlan.JournalThenWindow(89, 89), CatchUpPlan.of(88, 100, 90, LIMIT), "one seq short of the window");
  }

  @Test
  void theJournalServesItAllWhenTheWindowDoesNotReachTheHead() {
    assertEquals(new CatchUpPlan.JournalThenWindow(51, 100), CatchUpPlan.of(50, 100, NO_WINDOW, LIMIT));
  }

  @Test
  void aDeviceFurtherBehindThanTheLimitGetsASnapshot() {
    assertEquals(new CatchUpPlan.JournalThenWindow(1, 89), CatchUpPlan.of(0, 100, 90, 100), "exactly the limit behind");
    assertEquals(new CatchUpPlan.Snapshot(), CatchUpPlan.of(0, 100, 90, 99));
    assertEquals(new CatchUpPlan.Snapshot(), CatchUpPlan.of(0, 100, NO_WINDOW, 99));
  }

  @Test
  void aWindowStartBeyondTheHeadIsRefused() {
    var thrown = assertThrows(IllegalArgumentException.class, () -> CatchUpPlan.of(0, 100, 102, LIMIT));
    assertEquals("windowFirstSeq not in 1..101: 102", thrown.getMessage());
    assertThrows(IllegalArgumentException.class, () -> CatchUpPlan.of(0, 100, 0, LIMIT));
  }
}
