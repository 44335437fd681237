package io.lockstep.merchant;

import io.lockstep.merchant.ChangeFrames.Encoded;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * The most recent changes of one merchant, encoded, in seq order, bounded to a fixed capacity.
 *
 * <p>A cache derived from the journal: it serves catch-up of devices that are only a little
 * behind without a journal read. Putting a seq that is already held first drops it and every
 * later one, so replaying the same events after a restart never duplicates an entry. Not
 * thread-safe: owned by one merchant entity.
 */
final class ChangeWindow {
  private final int capacity;
  private final Deque<Encoded> changes = new ArrayDeque<>();

  ChangeWindow(int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("capacity < 1: " + capacity);
    this.capacity = capacity;
  }

  void put(Encoded change) {
    truncateAfter(change.seq() - 1);
    if (!changes.isEmpty() && changes.peekLast().seq() != change.seq() - 1) {
      changes.clear(); // a gap: the window only ever holds a contiguous run
    }
    changes.addLast(change);
    if (changes.size() > capacity) changes.removeFirst();
  }

  /** Drops every change after {@code seq}: those were never committed. */
  void truncateAfter(long seq) {
    while (!changes.isEmpty() && changes.peekLast().seq() > seq) changes.removeLast();
  }

  /**
   * The changes after {@code afterSeq} up to the newest, or empty when the window no longer
   * holds {@code afterSeq + 1} (the caller must read the journal or send a snapshot).
   */
  Optional<List<Encoded>> after(long afterSeq, long headSeq) {
    if (afterSeq >= headSeq) return Optional.of(List.of());
    if (changes.isEmpty() || changes.peekFirst().seq() > afterSeq + 1
        || changes.peekLast().seq() != headSeq) {
      return Optional.empty();
    }
    List<Encoded> result = new ArrayList<>();
    Iterator<Encoded> it = changes.descendingIterator();
    while (it.hasNext()) {
      Encoded c = it.next();
      if (c.seq() <= afterSeq) break;
      result.add(c);
    }
    java.util.Collections.reverse(result);
    return Optional.of(List.copyOf(result));
  }

  /** The first seq held when the window runs up to {@code headSeq}; empty otherwise. */
  Optional<Long> firstSeqUpTo(long headSeq) {
    if (changes.isEmpty() || changes.peekLast().seq() != headSeq) return Optional.empty();
    return Optional.of(changes.peekFirst().seq());
  }

  int size() {
    return changes.size();
  }
}
