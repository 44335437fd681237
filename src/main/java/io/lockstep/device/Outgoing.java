package io.lockstep.device;

/**
 * What a session queues towards its device's socket, in delivery order. A journal range is
 * expanded into frames only when the socket pulls, so a long catch-up follows the device's pace
 * and everything queued after it (window and live frames) stays behind it.
 */
sealed interface Outgoing {

  /** An encoded {@code ServerFrame}. */
  record Frame(byte[] serverFrame) implements Outgoing {}

  /** Changes {@code fromSeq..toSeq} of a merchant, read from the journal when their turn comes. */
  record FromJournal(String merchantId, long fromSeq, long toSeq) implements Outgoing {}
}
