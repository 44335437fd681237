package io.lockstep.merchant;

import java.util.HashMap;
import java.util.Map;

/**
 * The gap guard for pipelined pushes. A device session numbers the pushes it forwards 1, 2, 3…
 * and sends each without waiting for the previous one's acks. Pekko delivers one sender's
 * messages in order but may lose some (a hand-off, a restart, a stash overflow), so the merchant
 * takes a session's push only when every earlier one arrived: after a gap it refuses that push
 * and every later one of the session, which then closes and the device resends from
 * {@code Welcome.last_counter}. A later push can therefore never be stored in place of a lost one.
 *
 * <p>Each push also says how many of the session's pushes were answered when it was sent: when
 * that is {@code sequence - 1}, no earlier push can be missing, so even a merchant that restarted
 * (and forgot the session) takes it, and a device sees only a pause.
 *
 * <pre>
 *  sequence s, answered a   known session, next expected n        unknown session (n = 1)
 *  s = 0                    unsequenced (services): admitted       admitted
 *  s &lt; n                    a redelivery: admitted (counters dedupe)
 *  s = n or s = a + 1       admitted, s + 1 expected next          admitted
 *  otherwise                refused, and every later push of the session
 * </pre>
 *
 * Keys are the sessions' reply refs; an entry lives until the session unsubscribes or stops.
 * Confined to the entity's actor.
 */
final class PushSequences {
  private static final long BROKEN = Long.MAX_VALUE;

  private final Map<Object, Long> nextExpected = new HashMap<>();

  /**
   * Whether the {@code sequence}-th push of {@code session}, sent when {@code answered} of its
   * pushes had been answered, may be taken.
   */
  boolean admit(Object session, long sequence, long answered) {
    if (sequence == 0) return true;
    long expected = nextExpected.getOrDefault(session, 1L);
    if (expected == BROKEN || sequence > Math.max(expected, answered + 1)) {
      nextExpected.put(session, BROKEN);
      return false;
    }
    if (sequence >= expected) nextExpected.put(session, sequence + 1);
    return true;
  }

  /** Refuses every later push of {@code session} (its current one was refused). */
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
