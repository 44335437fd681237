package io.lockstep.load;

import io.lockstep.domain.Authority;
import io.lockstep.domain.Dot;
import io.lockstep.domain.Hlc;
import io.lockstep.domain.Item;
import io.lockstep.domain.MerchantState;
import io.lockstep.domain.Mutation;
import io.lockstep.domain.Op;
import io.lockstep.domain.Outcome;
import io.lockstep.domain.VersionVector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The cost of the merge alone: nanoseconds per {@link MerchantState#apply} of an AdjustStock on
 * one hot item, and of an UpsertItem over all items in turn, for merchants of 100, 10,000 and
 * 100,000 items written by 50 devices. A plain timing loop (no JMH): per case a warm-up, then the
 * median of five timed rounds. Every mutation is stored (its base is the record's version).
 *
 * <pre>
 *   ./mvnw -B -q -DskipTests package
 *   ./mvnw -B -q -f load-tests/pom.xml package
 *   java -cp load-tests/target/classes:target/lockstep.jar io.lockstep.load.MergeCost [sizes…]
 * </pre>
 */
public final class MergeCost {

  private static final int DEVICES = 50;
  private static final long WARM_UP_NANOS = 2_000_000_000L;
  private static final long ROUND_NANOS = 500_000_000L;
  private static final int ROUNDS = 5;

  private static final String[] DEVICE_IDS = new String[DEVICES];

  static {
    Arrays.setAll(DEVICE_IDS, i -> "device-" + i);
  }

  private final String[] itemIds;
  private final long[] counters = new long[DEVICES];
  private MerchantState state;
  private long ops;

  private MergeCost(int items) {
    itemIds = new String[items];
    Arrays.setAll(itemIds, i -> String.format("item-%06d", i));
    List<Item> catalog = new ArrayList<>(items);
    for (int i = 0; i < items; i++) {
      catalog.add(Item.resolved(itemIds[i], "item " + i, "sku-" + i, 100, 1_000_000, false,
          VersionVector.of(Map.of("seed", (long) i + 1))));
    }
    state = MerchantState.restore(catalog, List.of(), 1, Map.of("seed", (long) items), List.of(),
        MerchantState.DEFAULT_CONFLICT_CAPACITY);
  }

  public static void main(String[] args) {
    int[] sizes = args.length == 0 ? new int[] {100, 10_000, 100_000}
        : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    measure(sizes[0]); // discarded: lets the JIT compile the merge before anything is reported
    System.out.printf("%-10s %12s %12s%n", "items", "adjust ns", "upsert ns");
    for (int size : sizes) {
      double[] nanos = measure(size);
      System.out.printf("%-10d %12.0f %12.0f%n", size, nanos[0], nanos[1]);
    }
  }

  /** The median ns per AdjustStock on the hot item, then per UpsertItem, at {@code size} items. */
  private static double[] measure(int size) {
    MergeCost adjust = new MergeCost(size);
    String hot = adjust.itemIds[size / 2];
    double adjustNanos = adjust.median(n -> new Op.AdjustStock(hot, n % 2 == 0 ? 1 : -1));
    MergeCost upsert = new MergeCost(size);
    String[] names = {"name a", "name b"};
    double upsertNanos = upsert.median(n -> new Op.UpsertItem(upsert.itemIds[n % size],
        names[(n / size) % 2], null, null));
    return new double[] {adjustNanos, upsertNanos};
  }

  private double median(IntFunction<Op> ops) {
    timed(ops, WARM_UP_NANOS);
    double[] rounds = new double[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
      rounds[i] = timed(ops, ROUND_NANOS);
    }
    Arrays.sort(rounds);
    return rounds[ROUNDS / 2];
  }

  /** Applies ops for about {@code nanos}; returns the mean nanoseconds per apply. */
  private double timed(IntFunction<Op> next, long nanos) {
    long start = System.nanoTime();
    long elapsed;
    int count = 0;
    do {
      for (int i = 0; i < 16; i++, count++) {
        apply(next.apply((int) ops++));
      }
      elapsed = System.nanoTime() - start;
    } while (elapsed < nanos);
    return (double) elapsed / count;
  }

  private void apply(Op op) {
    int device = (int) (ops % DEVICES);
    Dot dot = new Dot(DEVICE_IDS[device], ++counters[device]);
    VersionVector base = state.record(op).orElseThrow().version();
    Mutation m = new Mutation(dot, base, new Hlc(ops, 0), Authority.DEVICE, op);
    Outcome outcome = state.apply(state.headSeq() + 1, m);
    if (!outcome.stored()) {
      throw new IllegalStateException("not stored: " + outcome);
    }
    state = outcome.state();
  }
}
