package io.lockstep.domain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.serialization.MerchantStateCodec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties of {@link MerchantState#apply} over random causal histories (see
 * {@link CausalHistory}). Each states the seed of a failing history in its message.
 */
class MergePropertiesTest {

  /**
   * Every causal arrival order of the same mutations gives the same items, orders, head seq and
   * last counters (the whole state but the conflict log, which records who met whom).
   */
  @Property(tries = 1000)
  void finalStateDoesNotDependOnArrivalOrder(@ForAll long seed,
      @ForAll @IntRange(min = 2, max = 5) int devices,
      @ForAll @IntRange(min = 1, max = 24) int size) {
    assertOrderIndependent(seed, devices, size, CausalHistory.OpMix.ALL);
  }

  /** The same for histories of line adds and removes on one order (add-wins OR-set). */
  @Property(tries = 1000)
  void orderLinesDoNotDependOnArrivalOrder(@ForAll long seed,
      @ForAll @IntRange(min = 2, max = 4) int devices,
      @ForAll @IntRange(min = 2, max = 16) int size) {
    assertOrderIndependent(seed, devices, size, CausalHistory.OpMix.LINES);
  }

  private static void assertOrderIndependent(long seed, int devices, int size,
      CausalHistory.OpMix mix) {
    Random random = new Random(seed);
    CausalHistory history = CausalHistory.generate(random, devices, size, mix);
    MerchantState reference = history.applyInOrder(history.mutations);
    for (int i = 0; i < 4; i++) {
      List<Mutation> order = history.causalOrder(random);
      MerchantState other = history.applyInOrder(order);
      assertArrayEquals(bytes(reference.resolvedView()), bytes(other.resolvedView()),
          () -> "resolved view differs; seed " + seed + " order " + order);
      assertArrayEquals(bytes(reference.withoutConflicts()), bytes(other.withoutConflicts()),
          () -> "state differs; seed " + seed + "\n" + reference.items() + "\n" + other.items()
              + "\n" + reference.orders() + "\n" + other.orders());
    }
  }

  /** Applying a mutation a second time, right away or later, changes nothing. */
  @Property(tries = 500)
  void applyingTwiceEqualsApplyingOnce(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 20) int size) {
    Random random = new Random(seed);
    CausalHistory history = CausalHistory.generate(random, 4, size, CausalHistory.OpMix.ALL);
    MerchantState state = history.seed;
    List<Mutation> delivered = new ArrayList<>();
    for (Mutation m : history.causalOrder(random)) {
      state = state.apply(state.headSeq() + 1, m).state();
      delivered.add(m);
      Mutation again = delivered.get(random.nextInt(delivered.size()));
      Outcome outcome = state.apply(state.headSeq() + 1, again);
      assertTrue(outcome instanceof Outcome.Duplicate || outcome instanceof Outcome.Rejected,
          () -> "re-delivery applied; seed " + seed + ": " + outcome);
      assertEquals(state, outcome.state(), () -> "re-delivery changed state; seed " + seed);
    }
  }

  /**
   * Replaying what {@code apply} decided through {@link MerchantState#recorded} (the record after
   * a stored mutation and the conflicts logged at its seq) rebuilds the very state {@code apply}
   * produced, conflict log included, whatever the log's capacity.
   */
  @Property(tries = 500)
  void recordedOutcomesRebuildTheAppliedState(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 24) int size,
      @ForAll @IntRange(min = 0, max = 4) int conflictCapacity) {
    Random random = new Random(seed);
    CausalHistory history = CausalHistory.generate(random, 4, size, CausalHistory.OpMix.ALL);
    MerchantState applied = history.seed.withConflictCapacity(conflictCapacity);
    MerchantState replayed = applied;
    for (Mutation m : history.causalOrder(random)) {
      long seq = applied.headSeq() + 1;
      Outcome outcome = applied.apply(seq, m);
      applied = outcome.state();
      if (outcome.stored()) {
        replayed = replayed.recorded(seq, m.dot().deviceId(), m.dot().counter(),
            applied.record(m.op()), applied.conflictsAt(seq));
      }
      MerchantState expected = applied;
      MerchantState actual = replayed;
      assertEquals(expected, actual, () -> "replay differs after " + m + "; seed " + seed);
      assertArrayEquals(bytes(expected), bytes(actual), () -> "bytes differ; seed " + seed);
    }
  }

  /** A mutation whose base covers the record's version never reports a conflict. */
  @Property(tries = 500)
  void causallyLaterMutationNeverConflicts(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 20) int size) {
    Random random = new Random(seed);
    CausalHistory history = CausalHistory.generate(random, 3, size, CausalHistory.OpMix.ALL);
    MerchantState state = history.seed;
    for (Mutation m : history.causalOrder(random)) {
      Mutation plain = m.withBase(m.base().merge(
          state.record(m.op()).map(DomainRecord::version).orElse(VersionVector.EMPTY)));
      long seq = state.headSeq() + 1;
      Outcome outcome = state.apply(seq, plain);
      boolean conflict = outcome instanceof Outcome.Accepted a && a.conflict().isPresent()
          || outcome instanceof Outcome.Rejected r && r.conflict().isPresent();
      assertTrue(!conflict && outcome.state().conflictsAt(seq).isEmpty(),
          () -> "conflict for a causally later mutation; seed " + seed + ": " + outcome);
      state = state.apply(seq, m).state();
    }
  }

  /** With only deltas, stock is the initial stock plus every accepted delta. */
  @Property(tries = 500)
  void stockIsInitialPlusAcceptedDeltas(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 40) int size) {
    Random random = new Random(seed);
    CausalHistory history = CausalHistory.generate(random, 4, size, CausalHistory.OpMix.DELTAS);
    MerchantState state = history.seed;
    Map<String, Long> expected = new HashMap<>();
    state.items().forEach((id, item) -> expected.put(id, item.stock()));
    for (Mutation m : history.causalOrder(random)) {
      Outcome outcome = state.apply(state.headSeq() + 1, m);
      if (outcome instanceof Outcome.Accepted) {
        Op.AdjustStock adjust = (Op.AdjustStock) m.op();
        expected.merge(adjust.itemId(), adjust.delta(), Long::sum);
      }
      state = outcome.state();
    }
    MerchantState last = state;
    expected.forEach((id, stock) -> assertEquals(stock, last.items().get(id).stock(),
        () -> "stock of " + id + "; seed " + seed));
  }

  /** No mutation moves an order's state backwards. */
  @Property(tries = 500)
  void orderStateNeverMovesBackwards(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 24) int size) {
    Random random = new Random(seed);
    CausalHistory history = CausalHistory.generate(random, 4, size, CausalHistory.OpMix.ALL);
    MerchantState state = history.seed;
    for (Mutation m : history.causalOrder(random)) {
      MerchantState before = state;
      state = state.apply(state.headSeq() + 1, m).state();
      for (Map.Entry<String, Order> entry : state.orders().entrySet()) {
        Order previous = before.orders().get(entry.getKey());
        if (previous != null) {
          assertTrue(previous.state().compareTo(entry.getValue().state()) <= 0,
              () -> "order moved back from " + previous.state() + " to "
                  + entry.getValue().state() + " by " + m + "; seed " + seed);
        }
      }
    }
  }

  /**
   * Two states holding the same records but built differently (records and counters inserted in
   * other orders, through hash maps, or decoded from a snapshot) stay byte-identical under the
   * same history.
   */
  @Property(tries = 200)
  void resultDoesNotDependOnHowTheStateWasBuilt(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 20) int size) {
    Random random = new Random(seed);
    CausalHistory history = CausalHistory.generate(random, 4, size, CausalHistory.OpMix.ALL);
    MerchantState prefixState = history.applyInOrder(history.mutations.subList(0, size / 2));
    MerchantState rebuilt = rebuiltInOtherOrder(prefixState, random);
    MerchantState decoded = MerchantStateCodec.fromBytes(MerchantStateCodec.toBytes(prefixState));
    assertArrayEquals(bytes(prefixState), bytes(rebuilt), () -> "rebuilt differs; seed " + seed);
    for (Mutation m : history.mutations.subList(size / 2, size)) {
      prefixState = prefixState.apply(prefixState.headSeq() + 1, m).state();
      rebuilt = rebuilt.apply(rebuilt.headSeq() + 1, m).state();
      decoded = decoded.apply(decoded.headSeq() + 1, m).state();
    }
    assertArrayEquals(bytes(prefixState), bytes(rebuilt), () -> "rebuilt diverged; seed " + seed);
    assertArrayEquals(bytes(prefixState), bytes(decoded), () -> "decoded diverged; seed " + seed);
  }

  private static MerchantState rebuiltInOtherOrder(MerchantState state, Random random) {
    List<Item> items = new ArrayList<>(state.items().values());
    Collections.shuffle(items, random);
    List<Order> orders = new ArrayList<>(state.orders().values());
    Collections.shuffle(orders, random);
    List<String> devices = new ArrayList<>(state.lastCounters().keySet());
    Collections.shuffle(devices, random);
    Map<String, Long> counters = new LinkedHashMap<>();
    devices.forEach(d -> counters.put(d, state.lastCounter(d)));
    List<Item> reshaped = items.stream().map(item -> new Item(item.itemId(), item.nameRegister(),
        item.skuRegister(), item.priceRegister(), item.ledger(), reversed(item.tombstones()),
        VersionVector.of(new HashMap<>(item.version().counters())))).toList();
    return MerchantState.restore(reshaped, orders, state.headSeq(), new HashMap<>(counters),
        state.conflicts(), state.conflictCapacity());
  }

  private static <T> List<T> reversed(List<T> list) {
    List<T> copy = new ArrayList<>(list);
    Collections.reverse(copy);
    return copy;
  }

  static byte[] bytes(MerchantState state) {
    return MerchantStateCodec.toBytes(state);
  }
}
