package io.lockstep.merchant;

/**
 * Where a subscriber after {@code afterSeq} gets what it missed, cheapest source first. Pure: the
 * entity decides with it and then sends.
 *
 * <pre>
 *  afterSeq, head h, window from w (up to h)     plan
 *  afterSeq &gt; h                                  DeviceAhead: a snapshot at h replaces its replica
 *  afterSeq = h                                  UpToDate: nothing to send
 *  w &lt;= afterSeq + 1                             FromWindow: the window's changes after afterSeq
 *  h - afterSeq &lt;= journal-catch-up-limit        JournalThenWindow: afterSeq+1..w-1 read from the
 *                                                journal by the session, then the window
 *  otherwise                                     Snapshot: cheaper than so long a replay
 * </pre>
 */
sealed interface CatchUpPlan {

  /** Nothing was missed. */
  record UpToDate() implements CatchUpPlan {}

  /** The window holds every change after {@code afterSeq}. */
  record FromWindow() implements CatchUpPlan {}

  /**
   * The session reads {@code fromSeq..toSeq} (committed, too old for the window) from the
   * journal; the window's changes after {@code toSeq} follow (none when {@code toSeq} is the head).
   */
  record JournalThenWindow(long fromSeq, long toSeq) implements CatchUpPlan {}

  /** So far behind that a snapshot at the head is cheaper than replaying the journal. */
  record Snapshot() implements CatchUpPlan {}

  /**
   * The device claims seqs this merchant never stored (a restored database, a reused store): it
   * resets its replica to a snapshot at the head.
   */
  record DeviceAhead() implements CatchUpPlan {}

  /**
   * The plan for a subscriber after {@code afterSeq} of a merchant at {@code head}, whose window
   * runs from {@code windowFirstSeq} up to the head ({@code head + 1} when the window does not
   * reach the head, or is empty).
   */
  static CatchUpPlan of(long afterSeq, long head, long windowFirstSeq, long journalCatchUpLimit) {
    if (windowFirstSeq < 1 || windowFirstSeq > head + 1) {
      throw new IllegalArgumentException("windowFirstSeq not in 1.." + (head + 1) + ": " + windowFirstSeq);
    }
    if (afterSeq > head) return new DeviceAhead();
    if (afterSeq == head) return new UpToDate();
    if (windowFirstSeq <= afterSeq + 1) return new FromWindow();
    if (head - afterSeq <= journalCatchUpLimit) return new JournalThenWindow(afterSeq + 1, windowFirstSeq - 1);
    return new Snapshot();
  }
}
