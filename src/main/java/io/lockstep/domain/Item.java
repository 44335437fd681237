package io.lockstep.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A catalog item: the resolved view ({@link #name()}, {@link #sku()}, {@link #priceCents()},
 * {@link #stock()}, {@link #deleted()}, {@link #version()}) computed from merge metadata kept in
 * the components, so that every arrival order of the same concurrent mutations gives an equal item.
 *
 * <ul>
 *   <li>name, sku, price: {@link Register}s, highest (authority, hlc, device) wins among concurrent
 *       writes;
 *   <li>stock: a {@link StockLedger} (deltas add; a stock take counts plus the deltas it had not
 *       seen);
 *   <li>deleted: {@link Tombstone}s; delete wins over concurrent updates, which are still merged
 *       underneath (they show again if an upsert that saw the delete re-creates the item).
 * </ul>
 *
 * Immutable; lists are sorted and unmodifiable.
 */
public record Item(
    String itemId,
    Register<String> nameRegister,
    Register<String> skuRegister,
    Register<Long> priceRegister,
    StockLedger ledger,
    List<Tombstone> tombstones,
    VersionVector version)
    implements DomainRecord {

  public Item {
    Objects.requireNonNull(itemId, "itemId");
    Objects.requireNonNull(nameRegister, "nameRegister");
    Objects.requireNonNull(skuRegister, "skuRegister");
    Objects.requireNonNull(priceRegister, "priceRegister");
    Objects.requireNonNull(ledger, "ledger");
    Objects.requireNonNull(version, "version");
    List<Tombstone> sorted = new ArrayList<>(tombstones);
    sorted.sort(Comparator.comparing(Tombstone::delete));
    tombstones = List.copyOf(sorted);
  }

  /** An item nobody has written yet; the starting point of a creating upsert. */
  public static Item absent(String itemId) {
    return new Item(itemId, Register.empty(), Register.empty(), Register.empty(),
        StockLedger.EMPTY, List.of(), VersionVector.EMPTY);
  }

  /** An item rebuilt from its resolved view (as devices receive it), without merge history. */
  public static Item resolved(String itemId, String name, String sku, long priceCents, long stock,
      boolean deleted, VersionVector version) {
    return new Item(itemId, Register.resolved(name), Register.resolved(sku),
        Register.resolved(priceCents), StockLedger.resolved(stock),
        deleted ? List.of(new Tombstone(Dot.RESOLVED, List.of())) : List.of(), version);
  }

  @Override
  public String recordId() {
    return itemId;
  }

  @Override
  public Item resolvedView() {
    return resolved(itemId, name(), sku(), priceCents(), stock(), deleted(), version);
  }

  public String name() {
    return nameRegister.value().orElse("");
  }

  public String sku() {
    return skuRegister.value().orElse("");
  }

  public long priceCents() {
    return priceRegister.value().orElse(0L);
  }

  public long stock() {
    return ledger.value();
  }

  /** Whether a delete is in force (a tombstone no upsert has re-created). */
  public boolean deleted() {
    return tombstones.stream().anyMatch(Tombstone::live);
  }

  /** Whether a writer that saw {@code base} saw this item deleted. */
  public boolean deletedIn(VersionVector base) {
    return tombstones.stream().anyMatch(t -> t.deletedIn(base));
  }

  Resolution apply(long seq, Mutation m) {
    Op op = m.op();
    if (op instanceof Op.UpsertItem upsert) {
      return upsert(seq, m, upsert);
    }
    if (version.isEmpty() && tombstones.isEmpty()) {
      return new Resolution.Refused("unknown item " + itemId);
    }
    if (deletedIn(m.base())) {
      return new Resolution.Refused("item " + itemId + " is deleted");
    }
    if (op instanceof Op.DeleteItem) {
      return delete(seq, m);
    }
    if (op instanceof Op.AdjustStock adjust) {
      return applied(m, withLedger(ledger.adjust(m.dot(), m.hlc(), adjust.delta())),
          deleteWins(seq, m, new ArrayList<>()));
    }
    return stockTake(seq, m, (Op.SetStock) op);
  }

  private Resolution upsert(long seq, Mutation m, Op.UpsertItem upsert) {
    List<Conflict> conflicts = new ArrayList<>();
    Register<String> name = write(seq, m, "name", nameRegister, upsert.name(), conflicts);
    Register<String> sku = write(seq, m, "sku", skuRegister, upsert.sku(), conflicts);
    Register<Long> price = write(seq, m, "priceCents", priceRegister, upsert.priceCents(), conflicts);
    List<Tombstone> graves = tombstones.stream()
        .map(t -> m.base().covers(t.delete()) ? recreate(t, m.dot()) : t)
        .toList();
    Item next = new Item(itemId, name, sku, price, ledger, graves, version);
    return applied(m, next, next.deleteWins(seq, m, conflicts));
  }

  private static Tombstone recreate(Tombstone tombstone, Dot upsert) {
    List<Dot> by = new ArrayList<>(tombstone.recreatedBy());
    by.add(upsert);
    return new Tombstone(tombstone.delete(), by);
  }

  private <T> Register<T> write(long seq, Mutation m, String field, Register<T> register, T value,
      List<Conflict> conflicts) {
    if (value == null) {
      return register;
    }
    Stamp stamp = Stamp.of(m);
    register.concurrentWith(m.base()).stream()
        .filter(e -> !e.value().equals(value))
        .max(Comparator.comparing(Register.Entry::stamp))
        .ifPresent(best -> {
          Dot winner = best.stamp().compareTo(stamp) > 0 ? best.dot() : m.dot();
          conflicts.add(new Conflict(seq, itemId, field, "register-highest-stamp", m.dot(),
              String.valueOf(value), best.dot(), String.valueOf(best.value()), winner,
              "concurrent writes: highest (authority, hlc, device) wins, " + winner + " kept"));
        });
    return register.write(stamp, value, m.base());
  }

  private Resolution delete(long seq, Mutation m) {
    List<Tombstone> graves = new ArrayList<>(tombstones);
    graves.add(new Tombstone(m.dot(), List.of()));
    List<Conflict> conflicts = new ArrayList<>();
    firstUnseen(m.base()).ifPresent(unseen -> conflicts.add(new Conflict(seq, itemId, "deleted",
        "delete-wins", m.dot(), "deleted", unseen, "updated", m.dot(),
        "delete wins over concurrent updates; they stay merged under the tombstone")));
    return applied(m, new Item(itemId, nameRegister, skuRegister, priceRegister, ledger, graves,
        version), conflicts);
  }

  private Optional<Dot> firstUnseen(VersionVector base) {
    return version.counters().entrySet().stream()
        .filter(e -> e.getValue() > base.get(e.getKey()))
        .map(e -> new Dot(e.getKey(), e.getValue()))
        .findFirst();
  }

  private Resolution stockTake(long seq, Mutation m, Op.SetStock take) {
    List<Conflict> conflicts = new ArrayList<>();
    Stamp stamp = Stamp.of(m);
    Item next = withLedger(ledger.take(stamp, m.base(), take.count()));
    Optional<StockLedger.StockTake> rival = ledger.takesConcurrentWith(m.base()).stream()
        .max(Comparator.comparing(StockLedger.StockTake::stamp));
    Map<Dot, StockLedger.Delta> unseen = ledger.unseenDeltas(m.base());
    if (rival.isPresent()) {
      StockLedger.StockTake other = rival.get();
      Dot winner = other.stamp().compareTo(stamp) > 0 ? other.dot() : m.dot();
      conflicts.add(new Conflict(seq, itemId, "stock", "stock-take-highest-stamp", m.dot(),
          "count " + take.count(), other.dot(), "count " + other.count(), winner,
          "concurrent stock takes: highest (authority, hlc, device) wins; stock is "
              + next.stock()));
    } else if (!unseen.isEmpty()) {
      long sum = unseen.values().stream().mapToLong(StockLedger.Delta::amount).sum();
      conflicts.add(new Conflict(seq, itemId, "stock", "stock-take-plus-unseen-deltas", m.dot(),
          "count " + take.count(), unseen.keySet().iterator().next(), "unseen deltas " + sum,
          m.dot(), "count " + take.count() + " + unseen deltas " + sum + " = " + next.stock()));
    }
    return applied(m, next, next.deleteWins(seq, m, conflicts));
  }

  /** Adds a delete-wins conflict when a live tombstone is concurrent with {@code m}. */
  private List<Conflict> deleteWins(long seq, Mutation m, List<Conflict> conflicts) {
    tombstones.stream()
        .filter(t -> t.live() && !m.base().covers(t.delete()))
        .findFirst()
        .ifPresent(t -> conflicts.add(new Conflict(seq, itemId, "deleted", "delete-wins", m.dot(),
            opName(m.op()), t.delete(), "deleted", t.delete(),
            "item stays deleted: the delete was concurrent with this update")));
    return conflicts;
  }

  private Item withLedger(StockLedger next) {
    return new Item(itemId, nameRegister, skuRegister, priceRegister, next, tombstones, version);
  }

  private static Resolution applied(Mutation m, Item next, List<Conflict> conflicts) {
    Item stamped = new Item(next.itemId, next.nameRegister, next.skuRegister, next.priceRegister,
        next.ledger, next.tombstones, next.version.with(m.dot()));
    return new Resolution.Applied(stamped, conflicts);
  }

  static String opName(Op op) {
    return op.getClass().getSimpleName();
  }
}
