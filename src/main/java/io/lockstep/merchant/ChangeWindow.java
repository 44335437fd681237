package io.lockstep.merchant;

import io.lockstep.merchant.ChangeFrames.Encoded;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The most recent changes of one merchant, encoded, in seq order, bounded to {@code capacity}
 * changes and {@code maxBytes} bytes.
 *
 * <p>A cache derived from the journal: it serves catch-up of devices that are only a little
 * behind without a journal read. Putting a seq that is already held first drops it and every
 * later one, so replaying the same events after a restart never duplicates an entry. Not
 * thread-safe: owned by one merchant entity.
 *
 * <p>The changes are copied into one byte ring, not kept as objects. A window lives for as long
 * as its merchant while each change in it lives for seconds: held as an object per change, every
 * young collection copied all of them from survivor space to survivor space (at 5,000 updates/s
 * over 100 merchants, a hundred thousand objects, the bulk of a pause) before they were promoted
 * and died in the old generation. The ring is allocated once (it grows by doubling up to
 * {@code maxBytes} while the merchant's first changes arrive), is promoted once, and copying a
 * change into it allocates nothing. What {@link #after} returns is copied out again.
 *
 * <p>Bytes: the ring holds the newest changes as one circular run; a change that does not fit at
 * the end of the array starts again at its beginning. Every run of newest changes of at most
 * {@code maxBytes / 2} bytes (and at most {@code capacity} changes) is held, if no change is
 * larger than a quarter of {@code maxBytes}; a change larger than {@code maxBytes} empties the
 * window (catch-up then reads the journal).
 */
final class ChangeWindow {
  private static final int FIRST_SLOTS = 16;
  private static final int FIRST_BYTES = 4096;

  private final int capacity;
  private final int maxBytes;
  private byte[] ring = new byte[0];
  /** Per change held, oldest first from {@code first}, circular: its offset in {@code ring} and length. */
  private int[] offsets = new int[0];
  private int[] lengths = new int[0];
  private int first;
  private int count;
  private long firstSeq;

  ChangeWindow(int capacity, int maxBytes) {
    if (capacity < 1) throw new IllegalArgumentException("capacity < 1: " + capacity);
    if (maxBytes < 1) throw new IllegalArgumentException("maxBytes < 1: " + maxBytes);
    this.capacity = capacity;
    this.maxBytes = maxBytes;
  }

  void put(Encoded change) {
    truncateAfter(change.seq() - 1);
    if (count > 0 && lastSeq() != change.seq() - 1) {
      clear(); // a gap: the window only ever holds a contiguous run
    }
    byte[] bytes = change.change();
    if (bytes.length > maxBytes) {
      clear(); // cannot be held: the window must not claim to run up to it
      return;
    }
    if (count == capacity) dropOldest();
    int at = placeFor(bytes.length);
    System.arraycopy(bytes, 0, ring, at, bytes.length);
    if (count == offsets.length) growSlots();
    int slot = slot(count);
    offsets[slot] = at;
    lengths[slot] = bytes.length;
    if (count == 0) firstSeq = change.seq();
    count++;
  }

  /** Drops every change after {@code seq}: those were never committed. */
  void truncateAfter(long seq) {
    if (count == 0) return;
    if (seq < firstSeq) {
      clear();
    } else if (seq < lastSeq()) {
      count = (int) (seq - firstSeq + 1);
    }
  }

  /**
   * The changes after {@code afterSeq} up to the newest, or empty when the window no longer
   * holds {@code afterSeq + 1} (the caller must read the journal or send a snapshot).
   */
  Optional<List<Encoded>> after(long afterSeq, long headSeq) {
    if (afterSeq >= headSeq) return Optional.of(List.of());
    if (count == 0 || firstSeq > afterSeq + 1 || lastSeq() != headSeq) return Optional.empty();
    List<Encoded> result = new ArrayList<>((int) (headSeq - afterSeq));
    for (int i = (int) (afterSeq + 1 - firstSeq); i < count; i++) {
      int slot = slot(i);
      result.add(new Encoded(firstSeq + i, Arrays.copyOfRange(ring, offsets[slot], offsets[slot] + lengths[slot])));
    }
    return Optional.of(result);
  }

  /** The first seq held when the window runs up to {@code headSeq}; empty otherwise. */
  Optional<Long> firstSeqUpTo(long headSeq) {
    if (count == 0 || lastSeq() != headSeq) return Optional.empty();
    return Optional.of(firstSeq);
  }

  int size() {
    return count;
  }

  /** Bytes of the changes held. */
  long bytesHeld() {
    long sum = 0;
    for (int i = 0; i < count; i++) sum += lengths[slot(i)];
    return sum;
  }

  private long lastSeq() {
    return firstSeq + count - 1;
  }

  private int slot(int index) {
    return (first + index) % offsets.length;
  }

  private void clear() {
    count = 0;
    first = 0;
  }

  private void dropOldest() {
    first = (first + 1) % offsets.length;
    firstSeq++;
    count--;
    if (count == 0) first = 0;
  }

  /**
   * Where a change of {@code length} bytes goes: after the newest change, else at the start of
   * the ring; growing the ring (up to {@code maxBytes}) rather than dropping changes, and dropping
   * the oldest changes when it cannot grow.
   */
  private int placeFor(int length) {
    while (true) {
      if (count == 0) {
        if (ring.length < length) ring = new byte[grownLength(length)];
        return 0;
      }
      int oldest = offsets[slot(0)];
      int newest = slot(count - 1);
      int end = offsets[newest] + lengths[newest];
      boolean wrapped = offsets[newest] < oldest;
      if (!wrapped) {
        if (end + length <= ring.length) return end;
        if (length <= oldest) return 0;
      } else if (end + length <= oldest) {
        return end;
      }
      if (ring.length < maxBytes) {
        compactInto(new byte[grownLength(bytesHeld() + length)]);
      } else {
        dropOldest();
      }
    }
  }

  private int grownLength(long needed) {
    long length = Math.max(FIRST_BYTES, ring.length);
    while (length < needed) length *= 2;
    return (int) Math.min(Math.max(length, (long) ring.length * 2), maxBytes);
  }

  /** Moves the changes held to the start of {@code larger}, oldest first. */
  private void compactInto(byte[] larger) {
    int at = 0;
    for (int i = 0; i < count; i++) {
      int slot = slot(i);
      System.arraycopy(ring, offsets[slot], larger, at, lengths[slot]);
      offsets[slot] = at;
      at += lengths[slot];
    }
    ring = larger;
  }

  private void growSlots() {
    int size = offsets.length == 0 ? Math.min(FIRST_SLOTS, capacity) : Math.min(offsets.length * 2, capacity);
    int[] newOffsets = new int[size];
    int[] newLengths = new int[size];
    for (int i = 0; i < count; i++) {
      newOffsets[i] = offsets[slot(i)];
      newLengths[i] = lengths[slot(i)];
    }
    offsets = newOffsets;
    lengths = newLengths;
    first = 0;
  }
}
