package io.lockstep.device;

/**
 * What a session queues towards its device's socket, in delivery order. A journal range is
 * expanded into frames only when the socket pulls, so a long catch-up follows the device's pace
 * and everything queued after it (window and live frames) stays behind it.
 */
sealed interface Outgoing {

  /**
   * An encoded {@code ServerFrame}; {@code changes} when it holds only a {@code Changes} message,
   * which {@link OutgoingCoalescer} may join with the next one. A live frame carries the commit
   * time of its write (of the oldest, once joined) and how many live changes it holds, for the
   * delivery lag; other frames carry 0.
   */
  record Frame(byte[] serverFrame, boolean changes, long committedAtMillis, int liveChanges) implements Outgoing {
    /** A frame that goes out as it is (Welcome, Acks, Pong, Error, a snapshot chunk). */
    static Frame of(byte[] serverFrame) {
      return new Frame(serverFrame, false, 0, 0);
    }

    /** A {@code ServerFrame} holding only {@code changes}, sent in catch-up. */
    static Frame changes(byte[] serverFrame) {
      return new Frame(serverFrame, true, 0, 0);
    }

    /** A {@code ServerFrame} holding {@code count} changes, fanned out after the write committed at {@code millis}. */
    static Frame live(byte[] serverFrame, long committedAtMillis, int count) {
      return new Frame(serverFrame, true, committedAtMillis, count);
    }
  }

  /** Changes {@code fromSeq..toSeq} of a merchant, read from the journal when their turn comes. */
  record FromJournal(String merchantId, long fromSeq, long toSeq) implements Outgoing {}
}
