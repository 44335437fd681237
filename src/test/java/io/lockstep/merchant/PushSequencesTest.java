package io.lockstep.merchant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Each row of {@link PushSequences}' table. */
class PushSequencesTest {
  private final PushSequences sequences = new PushSequences();
  private final Object session = new Object();

  @Test
  void unsequencedPushesAlwaysPass() {
    assertTrue(sequences.admit(session, 0, 0));
    assertTrue(sequences.admit(session, 0, 0));
    assertEquals(0, sequences.size(), "services leave no trace");
  }

  @Test
  void anUnbrokenSequencePassesAndRedeliveriesToo() {
    assertTrue(sequences.admit(session, 1, 0));
    assertTrue(sequences.admit(session, 2, 0));
    assertTrue(sequences.admit(session, 2, 0), "a redelivery: its counters dedupe");
    assertTrue(sequences.admit(session, 1, 0));
    assertTrue(sequences.admit(session, 3, 0));
  }

  @Test
  void aGapRefusesThatPushAndEveryLaterOne() {
    assertTrue(sequences.admit(session, 1, 0));
    assertFalse(sequences.admit(session, 3, 0), "push 2 never arrived");
    assertFalse(sequences.admit(session, 2, 0), "too late: the session is closing");
    assertFalse(sequences.admit(session, 4, 0));
  }

  @Test
  void anUnknownSessionMustStartAtOne() {
    assertFalse(sequences.admit(session, 5, 0), "pushes 1..4 may have been lost with a previous incarnation");
  }

  @Test
  void breakingOffRefusesTheRestAndForgettingStartsAfresh() {
    assertTrue(sequences.admit(session, 1, 0));
    sequences.breakOff(session);
    assertFalse(sequences.admit(session, 2, 0));
    sequences.forget(session);
    assertEquals(0, sequences.size());
    assertTrue(sequences.admit(session, 1, 0));
  }

  @Test
  void aPushWhoseEarlierOnesWereAllAnsweredPassesEvenForAMerchantThatForgotTheSession() {
    assertTrue(sequences.admit(session, 5, 4), "1..4 answered (by an earlier incarnation): none can be missing");
    assertTrue(sequences.admit(session, 6, 4), "now known: 6 follows 5");
    assertFalse(sequences.admit(new Object(), 7, 5), "6 was in flight when 7 was sent, and may be lost");
  }

  @Test
  void sessionsAreIndependent() {
    Object other = new Object();
    assertTrue(sequences.admit(session, 1, 0));
    assertFalse(sequences.admit(other, 2, 0));
    assertTrue(sequences.admit(session, 2, 0));
  }
}
