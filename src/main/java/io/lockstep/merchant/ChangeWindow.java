package io.lockstep.merchant;

import io.lockstep.protocol.v1.Change;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * The most recent changes of one merchant, in seq order, bounded to a fixed capacity.
 *
 * <p>A cache derived from the journal: it serves catch-up of devices that are only a little
 * behind without a journal read. Putting a seq that is already held first drops it and every
 * later one, so replaying the same events after a restart never duplicates an entry. Not
 * thread-safe: owned by one merchant entity.
 */
final class ChangeWindow {
  private final int capacity;
  private final Deque<Change> changes = new ArrayDeque<>();

  ChangeWindow(int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("capacity < 1: " + capacity);
    this.capacity = capacity;
  }

  void put(Change change) {
    truncateAfter(change.getSeq() - 1);
    if (!changes.isEmpty() && changes.peekLast().getSeq() != change.getSeq() - 1) {
      changes.clear(); // a gap: the window only ever holds a contiguous run
    }
    changes.addLast(change);
    if (changes.size() > capacity) changes.removeFirst();
  }

  /** Drops every change after {@code seq}: those were never committed. */
  void truncateAfter(long seq) {
    while (!changes.isEmpty() && changes.peekLast().getSeq() > seq) changes.removeLast();
  }

  /**
   * The changes after {@code afterSeq} up to the newest, or empty when the window no longer
   * holds {@code afterSeq + 1} (the caller must read the journal or send a snapshot).
   */
  Optional<List<Change>> after(long afterSeq, long headSeq) {
    if (afterSeq >= headSeq) return Optional.of(List.of());
    if (changes.isEmpty() || changes.peekFirst().getSeq() > afterSeq + 1
        || changes.peekLast().getSeq() != headSeq) {
      return Optional.empty();
    }
    List<Change> result = new ArrayList<>();
    Iterator<Change> it = changes.descendingIterator();
    while (it.hasNext()) {
      Change c = it.next();
      if (c.getSeq() <= afterSeq) break;
      result.add(c);
    }
    java.util.Collections.reverse(result);
    return Optional.of(List.copyOf(result));
  }

  int size() {
    return changes.size();
  }
}
