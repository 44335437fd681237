package io.lockstep.merchant;

import java.util.HashMap;
import java.util.Map;

/**
 * The gap guard for pipelined pushes. A device session numbers the pushes it forwards 1, 2, 3…
 * and sends each without waiting for the previous one's acks; with each it says how many of its
 * pushes were answered with a result when it sent it. Pekko delivers one sender's messages in
 * order but may lose some (a crash, a stash overflow), and a merchant that moved or restarted
 * has forgotten the session. So the merchant takes a session's push only when no earlier one can
 * be missing; otherwise it refuses that push once ({@link MerchantEntity.OutOfSequence}) and
 * ignores the session's later ones until the session resends from the refused push, which it
 * does once every earlier push is answered. A later push is never stored in place of a lost one.
 *
 * <pre>
 *  sequence s, answered a   next expected n (1 for a session not seen)   verdict
 *  s = 0                    (services: unsequenced)                        admit
 *  s = a + 1                every earlier push answered: none missing      admit, n = max(n, s + 1)
 *  n broken                 after a refusal, before the resend             ignore (the refusal covers it)
 *  s &lt;= n                  in sequence, or a redelivery (counters dedupe)  admit, n = max(n, s + 1)
 *  s &gt; n                   an earlier push is missing                     refuse, n broken
 * </pre>
 *
 * Keys are the sessions' reply refs; an entry lives until the session unsubscribes or stops.
 * Confined to the entity's actor.
 */
final class PushSequences {
  private static final long BROKEN = Long.MAX_VALUE;

  /** What the merchant does with a push. */
  enum Verdict { ADMIT, REFUSE, IGNORE }

  private final Map<Object, Long> nextExpected = new HashMap<>();

  /**
   * The verdict on the {@code sequence}-th push of {@code session}, sent when {@code answered}
   * of its pushes had been answered with a result.
   */
  Verdict admit(Object session, long sequence, long answered) {
    if (sequence == 0) return Verdict.ADMIT;
    long expected = nextExpected.getOrDefault(session, 1L);
    if (sequence == answered + 1) {
      nextExpected.put(session, expected == BROKEN ? sequence + 1 : Math.max(expected, sequence + 1));
      return Verdict.ADMIT;
    }
    if (expected == BROKEN) return Verdict.IGNORE;
    if (sequence > expected) {
      nextExpected.put(session, BROKEN);
      return Verdict.REFUSE;
    }
    nextExpected.put(session, Math.max(expected, sequence + 1));
    return Verdict.ADMIT;
  }

  /** Ignores the later pushes of {@code session} until it resends (its current push was refused). */
  void breakOff(Object session) {
    if (nextExpected.containsKey(session)) nextExpected.put(session, BROKEN);
  }

  void forget(Object session) {
    nextExpected.remove(session);
  }

  int size() {
    return nextExpected.size();
  }
}
