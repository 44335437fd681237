package io.lockstep.merchant;

import static io.lockstep.merchant.PushSequences.Verdict.ADMIT;
import static io.lockstep.merchant.PushSequences.Verdict.IGNORE;
import static io.lockstep.merchant.PushSequences.Verdict.REFUSE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Each row of {@link PushSequences}' table. */
class PushSequencesTest {
  private final PushSequences sequences = new PushSequences();
  private final Object session = new Object();

  @Test
  void unsequencedPushesAlwaysPass() {
    assertEquals(ADMIT, sequences.admit(session, 0, 0));
    assertEquals(ADMIT, sequences.admit(session, 0, 0));
    assertEquals(0, sequences.size(), "services leave no trace");
  }

  @Test
  void anUnbrokenPipelinePassesAndRedeliveriesToo() {
    assertEquals(ADMIT, sequences.admit(session, 1, 0));
    assertEquals(ADMIT, sequences.admit(session, 2, 0));
    assertEquals(ADMIT, sequences.admit(session, 3, 0));
    assertEquals(ADMIT, sequences.admit(session, 2, 0), "a redelivery: its counters dedupe");
    assertEquals(ADMIT, sequences.admit(session, 4, 1), "expected next, whatever was answered");
  }

  @Test
  void aGapIsRefusedOnceAndTheLaterPushesIgnoredUntilTheResend() {
    assertEquals(ADMIT, sequences.admit(session, 1, 0));
    assertEquals(REFUSE, sequences.admit(session, 3, 0), "push 2 never arrived");
    assertEquals(IGNORE, sequences.admit(session, 4, 0), "covered by the refusal of 3");
    assertEquals(IGNORE, sequences.admit(session, 2, 0), "the lost push turning up late is ignored too");
    assertEquals(ADMIT, sequences.admit(session, 2, 1), "the resend: 1 answered, so nothing before 2 is missing");
    assertEquals(ADMIT, sequences.admit(session, 3, 1));
    assertEquals(ADMIT, sequences.admit(session, 4, 1));
  }

  @Test
  void aMerchantThatForgotTheSessionTakesOnlyAPushWithNothingUnansweredBeforeIt() {
    assertEquals(ADMIT, sequences.admit(session, 5, 4), "1..4 answered (by an earlier incarnation)");
    assertEquals(ADMIT, sequences.admit(session, 6, 4), "now known: 6 follows 5");
    Object moved = new Object();
    assertEquals(REFUSE, sequences.admit(moved, 7, 5), "6 was in flight when 7 was sent, and may be lost");
  }

  @Test
  void breakingOffIgnoresTheRestAndForgettingStartsAfresh() {
    assertEquals(ADMIT, sequences.admit(session, 1, 0));
    sequences.breakOff(session);
    assertEquals(IGNORE, sequences.admit(session, 2, 0));
    sequences.forget(session);
    assertEquals(0, sequences.size());
    assertEquals(ADMIT, sequences.admit(session, 1, 0));
  }

  @Test
  void sessionsAreIndependent() {
    Object other = new Object();
    assertEquals(ADMIT, sequences.admit(session, 1, 0));
    assertEquals(REFUSE, sequences.admit(other, 2, 0));
    assertEquals(ADMIT, sequences.admit(session, 2, 0));
  }
}
