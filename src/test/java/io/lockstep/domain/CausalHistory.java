package io.lockstep.domain;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A seeded random history of concurrent mutations for property tests.
 *
 * <p>A seed state (written by device "seed") holds items {@code i1, i2} and orders {@code o1, o2}.
 * Devices then write in a random generation order; each mutation's base is the touched record's
 * version after a random prefix of the history (never less than what that device saw before),
 * plus the device's own earlier dots on that record. {@link #causalOrder} yields random arrival
 * orders in which every mutation comes after the mutations its base covers and after its device's
 * earlier mutations: the orders a single-writer server can see.
 */
final class CausalHistory {

  static final List<String> ITEMS = List.of("i1", "i2");
  static final List<String> ORDERS = List.of("o1", "o2");

  final MerchantState seed;
  final List<Mutation> mutations;

  private CausalHistory(MerchantState seed, List<Mutation> mutations) {
    this.seed = seed;
    this.mutations = List.copyOf(mutations);
  }

  static MerchantState seedState() {
    List<Mutation> seedOps = new ArrayList<>();
    long counter = 0;
    for (String item : ITEMS) {
      seedOps.add(seedMutation(++counter, new Op.UpsertItem(item, "name-" + item, "sku-" + item,
          100L)));
      seedOps.add(seedMutation(++counter, new Op.SetStock(item, 10)));
    }
    for (String order : ORDERS) {
      seedOps.add(seedMutation(++counter, new Op.OpenOrder(order)));
    }
    MerchantState state = MerchantState.empty();
    for (Mutation m : seedOps) {
      state = state.apply(state.headSeq() + 1, m.withBase(state.record(m.op())
          .map(DomainRecord::version).orElse(VersionVector.EMPTY))).state();
    }
    return state;
  }

  private static Mutation seedMutation(long counter, Op op) {
    return new Mutation(new Dot("seed", counter), VersionVector.EMPTY, new Hlc(1, (int) counter),
        Authority.DEVICE, op);
  }

  /** A history of {@code size} mutations by {@code devices} devices ("d0"…, "d0" is a service). */
  static CausalHistory generate(Random random, int devices, int size, OpMix mix) {
    MerchantState seed = seedState();
    List<MerchantState> prefixes = new ArrayList<>(List.of(seed));
    List<Mutation> history = new ArrayList<>();
    Map<String, Integer> seenPrefix = new HashMap<>();
    Map<String, Long> counters = new HashMap<>();
    for (int i = 0; i < size; i++) {
      String device = "d" + random.nextInt(devices);
      Op op = mix.next(random);
      int from = seenPrefix.getOrDefault(device, 0);
      int prefix = from + random.nextInt(prefixes.size() - from);
      seenPrefix.put(device, prefix);
      VersionVector base = prefixes.get(prefix).record(op).map(DomainRecord::version)
          .orElse(VersionVector.EMPTY);
      for (Mutation own : history) {
        if (own.dot().deviceId().equals(device) && own.op().recordId().equals(op.recordId())
            && (own.op() instanceof Op.ItemOp) == (op instanceof Op.ItemOp)) {
          base = base.with(own.dot());
        }
      }
      long counter = counters.merge(device, 1L, Long::sum);
      Mutation m = new Mutation(new Dot(device, counter), base,
          new Hlc(1000 + random.nextInt(50), random.nextInt(3)),
          device.equals("d0") ? Authority.SERVICE : Authority.DEVICE, op);
      history.add(m);
      MerchantState last = prefixes.get(prefixes.size() - 1);
      prefixes.add(last.apply(last.headSeq() + 1, m).state());
    }
    return new CausalHistory(seed, history);
  }

  /** A random arrival order respecting causality and per-device order. */
  List<Mutation> causalOrder(Random random) {
    List<Mutation> remaining = new ArrayList<>(mutations);
    List<Mutation> order = new ArrayList<>();
    while (!remaining.isEmpty()) {
      List<Mutation> ready = remaining.stream().filter(m -> ready(m, remaining)).toList();
      Mutation next = ready.get(random.nextInt(ready.size()));
      remaining.remove(next);
      order.add(next);
    }
    return order;
  }

  private static boolean ready(Mutation m, List<Mutation> remaining) {
    for (Mutation other : remaining) {
      if (other == m) {
        continue;
      }
      boolean sameDeviceEarlier = other.dot().deviceId().equals(m.dot().deviceId())
          && other.dot().counter() < m.dot().counter();
      if (sameDeviceEarlier || m.base().covers(other.dot())) {
        return false;
      }
    }
    return true;
  }

  /** Applies {@code order} to the seed with consecutive seqs. */
  MerchantState applyInOrder(List<Mutation> order) {
    MerchantState state = seed;
    for (Mutation m : order) {
      state = state.apply(state.headSeq() + 1, m).state();
    }
    return state;
  }

  /** Which ops a history is made of. */
  interface OpMix {
    Op next(Random random);

    /** Every op type over the shared ids. */
    OpMix ALL = random -> {
      String item = ITEMS.get(random.nextInt(ITEMS.size()));
      String order = ORDERS.get(random.nextInt(ORDERS.size()));
      String line = "l" + random.nextInt(3);
      switch (random.nextInt(14)) {
        case 0:
        case 1:
          return new Op.AdjustStock(item, random.nextInt(11) - 5);
        case 2:
          return new Op.SetStock(item, random.nextInt(20));
        case 3:
          return new Op.UpsertItem(item, random.nextBoolean() ? "n" + random.nextInt(3) : null,
              random.nextBoolean() ? "s" + random.nextInt(3) : null,
              random.nextBoolean() ? (long) random.nextInt(3) * 100 : null);
        case 4:
          return random.nextBoolean() ? new Op.DeleteItem(item)
              : new Op.UpsertItem(item, "n" + random.nextInt(3), null, null);
        case 5:
        case 6:
        case 7:
          return new Op.AddLine(order, line, item, 1 + random.nextInt(3), 100 * random.nextInt(3));
        case 8:
        case 9:
          return new Op.RemoveLine(order, line);
        case 10:
        case 11:
          return new Op.SetOrderState(order,
              OrderState.values()[random.nextInt(OrderState.values().length)]);
        case 12:
          return new Op.AddPayment(order, "p" + random.nextInt(2), 100 + random.nextInt(3));
        default:
          return new Op.OpenOrder(order);
      }
    };

    /** Line adds and removes on one order, now and then a payment: the OR-set under stress. */
    OpMix LINES = random -> {
      String line = "l" + random.nextInt(2);
      switch (random.nextInt(8)) {
        case 0:
        case 1:
        case 2:
          return new Op.AddLine("o1", line, "i" + random.nextInt(2), 1 + random.nextInt(2), 100);
        case 3:
        case 4:
        case 5:
          return new Op.RemoveLine("o1", line);
        case 6:
          return new Op.SetOrderState("o1", random.nextBoolean() ? OrderState.PAID
              : OrderState.LOCKED);
        default:
          return new Op.AddPayment("o1", "p" + random.nextInt(2), 100);
      }
    };

    /** Only stock deltas (some of them invalid: zero). */
    OpMix DELTAS = random -> new Op.AdjustStock(ITEMS.get(random.nextInt(ITEMS.size())),
        random.nextInt(11) - 5);
  }
}
