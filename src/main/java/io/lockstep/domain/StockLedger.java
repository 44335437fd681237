package io.lockstep.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.pcollections.TreePMap;

/**
 * The stock of an item as an order-independent ledger of stock deltas and stock takes.
 *
 * <p>Value: with no stock take, {@code foldedBase} plus every delta. With stock takes, the winning
 * take (highest {@link Stamp} among the takes no other take has seen) counts: its count, plus the
 * deltas its base does not cover (deltas the counter had not seen), plus {@code unseenFolded}.
 *
 * <p>Bound: at most {@link #DELTA_HISTORY_LIMIT} deltas are kept one by one. Beyond that the
 * oldest (by hybrid logical time) are folded into {@code foldedBase} and, for every kept take that
 * had not seen them, into its {@code unseenFolded}, so the current value never changes. The one
 * approximation: a later stock take whose base does not cover a folded delta treats it as seen.
 *
 * <p>{@link #deltas()} is an unmodifiable sorted map, persistent, so {@link #adjust} shares the
 * kept deltas instead of copying them, and keeps their sum as it goes, so the value of a ledger
 * without a stock take costs no walk of its history. Immutable; equal by base, deltas and takes.
 */
public final class StockLedger {
  private final long foldedBase;
  private final TreePMap<Dot, Delta> deltas;
  private final List<StockTake> takes;
  private final long deltaSum; // of the kept deltas: value() without a take is O(1), not O(deltas)

  /** How many deltas are kept individually before the oldest are folded. */
  public static final int DELTA_HISTORY_LIMIT = 1024;

  /** One stock adjustment. */
  public record Delta(long amount, Hlc hlc) {
    public Delta {
      Objects.requireNonNull(hlc, "hlc");
    }
  }

  /** One stock take: what was counted, by whom, having seen which version of the item. */
  public record StockTake(Stamp stamp, VersionVector base, long count, long unseenFolded) {
    public StockTake {
      Objects.requireNonNull(stamp, "stamp");
      Objects.requireNonNull(base, "base");
    }

    public Dot dot() {
      return stamp.dot();
    }
  }

  public static final StockLedger EMPTY = new StockLedger(0, TreePMap.empty(), List.of());

  public StockLedger(long foldedBase, SortedMap<Dot, Delta> deltas, List<StockTake> takes) {
    this(foldedBase,
        deltas instanceof TreePMap<Dot, Delta> shared ? shared : TreePMap.from(deltas),
        sortedTakes(takes),
        deltas.values().stream().mapToLong(Delta::amount).sum());
  }

  private StockLedger(long foldedBase, TreePMap<Dot, Delta> deltas, List<StockTake> takes, long deltaSum) {
    this.foldedBase = foldedBase;
    this.deltas = deltas;
    this.takes = takes;
    this.deltaSum = deltaSum;
  }

  private static List<StockTake> sortedTakes(List<StockTake> takes) {
    List<StockTake> sorted = new ArrayList<>(takes);
    sorted.sort(Comparator.comparing(StockTake::dot));
    return List.copyOf(sorted);
  }

  /** The sum of the deltas folded out of the history. */
  public long foldedBase() {
    return foldedBase;
  }

  /** The kept deltas, by dot: an unmodifiable sorted map. */
  public SortedMap<Dot, Delta> deltas() {
    return deltas;
  }

  /** The kept stock takes, by dot. */
  public List<StockTake> takes() {
    return takes;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof StockLedger that
        && foldedBase == that.foldedBase && deltas.equals(that.deltas) && takes.equals(that.takes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(foldedBase, deltas, takes);
  }

  @Override
  public String toString() {
    return "StockLedger[foldedBase=" + foldedBase + ", deltas=" + deltas + ", takes=" + takes + "]";
  }

  /** A ledger whose value is {@code stock}, as synthesised from a resolved view. */
  public static StockLedger resolved(long stock) {
    return new StockLedger(stock, TreePMap.empty(), List.of());
  }

  /** The current stock. */
  public long value() {
    return winningTake()
        .map(take -> take.count() + take.unseenFolded() + unseenBy(take.base()))
        .orElseGet(() -> foldedBase + deltaSum);
  }

  /** The stock take that counts, if any. */
  public Optional<StockTake> winningTake() {
    return takes.stream().max(Comparator.comparing(StockTake::stamp));
  }

  /** The sum of the kept deltas {@code base} does not cover. */
  public long unseenBy(VersionVector base) {
    return unseenDeltas(base).values().stream().mapToLong(Delta::amount).sum();
  }

  /** The kept deltas {@code base} does not cover, by dot. */
  public SortedMap<Dot, Delta> unseenDeltas(VersionVector base) {
    TreeMap<Dot, Delta> unseen = new TreeMap<>();
    deltas.forEach((dot, delta) -> {
      if (!base.covers(dot)) {
        unseen.put(dot, delta);
      }
    });
    return unseen;
  }

  /** The takes {@code base} does not cover. */
  public List<StockTake> takesConcurrentWith(VersionVector base) {
    return takes.stream().filter(t -> !base.covers(t.dot())).toList();
  }

  /** This ledger with one more delta. */
  public StockLedger adjust(Dot dot, Hlc hlc, long amount) {
    Delta replaced = deltas.get(dot);
    TreePMap<Dot, Delta> next = deltas.plus(dot, new Delta(amount, hlc));
    long sum = deltaSum + amount - (replaced == null ? 0 : replaced.amount());
    return new StockLedger(foldedBase, next, takes, sum).foldOverflow();
  }

  /** This ledger with a stock take that had seen {@code base}; takes it saw are dropped. */
  public StockLedger take(Stamp stamp, VersionVector base, long count) {
    List<StockTake> next = new ArrayList<>(takesConcurrentWith(base));
    next.add(new StockTake(stamp, base, count, 0));
    return new StockLedger(foldedBase, deltas, sortedTakes(next), deltaSum);
  }

  private StockLedger foldOverflow() {
    if (deltas.size() <= DELTA_HISTORY_LIMIT) {
      return this;
    }
    List<Map.Entry<Dot, Delta>> oldest = new ArrayList<>(deltas.entrySet());
    oldest.sort(Comparator.comparing((Map.Entry<Dot, Delta> e) -> e.getValue().hlc())
        .thenComparing(Map.Entry::getKey));
    TreePMap<Dot, Delta> kept = deltas;
    long base = foldedBase;
    List<StockTake> nextTakes = new ArrayList<>(takes);
    for (Map.Entry<Dot, Delta> entry : oldest.subList(0, deltas.size() - DELTA_HISTORY_LIMIT / 2)) {
      kept = kept.minus(entry.getKey());
      base += entry.getValue().amount();
      nextTakes.replaceAll(take -> take.base().covers(entry.getKey()) ? take
          : new StockTake(take.stamp(), take.base(), take.count(),
              take.unseenFolded() + entry.getValue().amount()));
    }
    return new StockLedger(base, kept, nextTakes);
  }
}
