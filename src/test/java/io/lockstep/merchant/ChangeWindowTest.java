package io.lockstep.merchant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.merchant.ChangeFrames.Encoded;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The window against a model that keeps every change of the current contiguous run: what the
 * window holds is always the model's newest changes, byte for byte, within both bounds, and it
 * holds enough of them.
 */
class ChangeWindowTest {

  /** One step of a history: the next change, a replayed seq, a gap, or a truncation. */
  record Step(int kind, int length, int back) {}

  private static final int MAX_BYTES = 1024;

  @Provide
  Arbitrary<List<Step>> histories() {
    Arbitrary<Step> step = Combinators.combine(
        Arbitraries.frequency(Tuple.of(20, 0), Tuple.of(2, 1), Tuple.of(1, 2), Tuple.of(2, 3)),
        Arbitraries.oneOf(Arbitraries.integers().between(1, 64), Arbitraries.integers().between(1, MAX_BYTES + 100)),
        Arbitraries.integers().between(0, 40))
        .as(Step::new);
    return step.list().ofMinSize(1).ofMaxSize(600);
  }

  @Provide
  Arbitrary<List<Integer>> smallChanges() {
    return Arbitraries.integers().between(1, MAX_BYTES / 4).list().ofMinSize(1).ofMaxSize(800);
  }

  @Property(tries = 400)
  void theWindowHoldsTheNewestChangesOfTheRunWithinItsBounds(
      @ForAll("histories") List<Step> history, @ForAll @IntRange(min = 1, max = 50) int capacity) {
    ChangeWindow window = new ChangeWindow(capacity, MAX_BYTES);
    List<Encoded> run = new ArrayList<>(); // the model: the current contiguous run, whole
    long last = 0;
    for (Step step : history) {
      switch (step.kind()) {
        case 0 -> put(window, run, ++last, step.length());
        case 1 -> { // a replayed seq: it and everything after it were not committed
          last = Math.max(1, last - step.back());
          put(window, run, last, step.length());
        }
        case 2 -> { // a gap: the run starts again
          last += 2 + step.back();
          put(window, run, last, step.length());
        }
        default -> {
          long seq = Math.max(0, last - step.back());
          window.truncateAfter(seq);
          run.removeIf(c -> c.seq() > seq);
          last = seq;
        }
      }
      assertHoldsNewestOf(window, run, capacity);
    }
  }

  @Property(tries = 300)
  void withoutReplaysItHoldsEveryNewestRunOfHalfItsBytes(
      @ForAll("smallChanges") List<Integer> lengths, @ForAll @IntRange(min = 1, max = 200) int capacity) {
    ChangeWindow window = new ChangeWindow(capacity, MAX_BYTES);
    List<Encoded> run = new ArrayList<>();
    long seq = 0;
    for (int length : lengths) {
      put(window, run, ++seq, length);
      int newest = 0;
      long bytes = 0;
      for (int i = run.size() - 1; i >= 0 && newest < capacity; i--) {
        bytes += run.get(i).change().length;
        if (bytes > MAX_BYTES / 2) break;
        newest++;
      }
      assertTrue(window.size() >= newest,
          "holds " + window.size() + " changes, but the newest " + newest + " fit in half the bytes");
    }
  }

  @Test
  void aChangeLargerThanTheWindowEmptiesIt() {
    ChangeWindow window = new ChangeWindow(10, 100);
    window.put(new Encoded(1, new byte[40]));
    window.put(new Encoded(2, new byte[101]));
    assertEquals(0, window.size());
    assertEquals(Optional.empty(), window.firstSeqUpTo(2));
    assertEquals(Optional.empty(), window.after(0, 2), "it must not claim to hold seq 2");
    window.put(new Encoded(3, new byte[30]));
    assertEquals(Optional.of(3L), window.firstSeqUpTo(3));
  }

  @Test
  void theBytesBoundDropsTheOldestChanges() {
    ChangeWindow window = new ChangeWindow(1000, 100);
    for (long seq = 1; seq <= 10; seq++) window.put(new Encoded(seq, new byte[] {(byte) seq, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    assertTrue(window.bytesHeld() <= 100);
    assertEquals(Optional.of(10L), window.after(9, 10).map(List::size).map(n -> 9L + n));
    long first = window.firstSeqUpTo(10).orElseThrow();
    assertTrue(first > 1, "the oldest went first");
    List<Encoded> held = window.after(first - 1, 10).orElseThrow();
    for (Encoded c : held) assertEquals((byte) c.seq(), c.change()[0]);
  }

  private static void put(ChangeWindow window, List<Encoded> run, long seq, int length) {
    byte[] bytes = new byte[length];
    Arrays.fill(bytes, (byte) seq);
    bytes[0] = (byte) (seq >>> 8);
    run.removeIf(c -> c.seq() >= seq);
    if (!run.isEmpty() && run.get(run.size() - 1).seq() != seq - 1) run.clear();
    run.add(new Encoded(seq, bytes));
    window.put(new Encoded(seq, bytes.clone()));
  }

  private static void assertHoldsNewestOf(ChangeWindow window, List<Encoded> run, int capacity) {
    assertTrue(window.size() <= capacity, "more than " + capacity + " changes held");
    assertTrue(window.bytesHeld() <= MAX_BYTES, "more than " + MAX_BYTES + " bytes held");
    if (window.size() == 0) {
      if (!run.isEmpty()) {
        long head = run.get(run.size() - 1).seq();
        assertEquals(Optional.empty(), window.firstSeqUpTo(head));
        assertEquals(Optional.empty(), window.after(run.get(0).seq() - 1, head));
      }
      return;
    }
    long head = run.get(run.size() - 1).seq();
    long first = window.firstSeqUpTo(head).orElseThrow(() -> new AssertionError("the window does not run up to " + head));
    List<Encoded> held = window.after(first - 1, head).orElseThrow();
    List<Encoded> newest = run.subList(run.size() - held.size(), run.size());
    assertEquals(newest.size(), held.size());
    for (int i = 0; i < held.size(); i++) {
      assertEquals(newest.get(i).seq(), held.get(i).seq());
      assertArrayEquals(newest.get(i).change(), held.get(i).change(), "bytes of seq " + held.get(i).seq());
    }
    assertEquals(Optional.empty(), window.after(first - 2, head), "it must not claim to hold " + (first - 1));
    long middle = first + (head - first) / 2;
    assertEquals(head - middle, window.after(middle, head).orElseThrow().size());
  }
}
