package io.lockstep.domain;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import org.pcollections.TreePMap;
import org.pcollections.TreePVector;

/**
 * Everything the merchant entity decides with: items, orders, the merchant head seq, each device's
 * highest stored counter and a bounded log of conflicts. Immutable; every change returns a copy.
 *
 * <p>{@link #apply} is the server's merge function. It is deterministic (sorted maps only, no wall
 * clock) and, for a set of mutations delivered in causal order (a mutation after every mutation
 * its base covers, each device in counter order), every arrival order yields equal items, orders,
 * head seq and last counters; only the conflict log (which mutation met which) differs.
 *
 * <p>{@link #withResolved} and {@link #applyLocal} serve device replicas: records replaced by the
 * server's resolved views, own pending mutations applied optimistically on top (see
 * {@link DeviceReplica}).
 *
 * <p>The maps and the conflict log are persistent collections: a change shares everything it does
 * not touch with the state before it (O(log records) per change, no copy). The getters return them
 * as unmodifiable java.util views.
 */
public final class MerchantState {

  /** Conflicts kept in the log unless configured otherwise. */
  public static final int DEFAULT_CONFLICT_CAPACITY = 1000;

  private static final MerchantState EMPTY = new MerchantState(TreePMap.empty(), TreePMap.empty(),
      0, TreePMap.empty(), TreePVector.empty(), DEFAULT_CONFLICT_CAPACITY);

  private final TreePMap<String, Item> items;
  private final TreePMap<String, Order> orders;
  private final long headSeq;
  private final TreePMap<String, Long> lastCounters;
  private final TreePVector<Conflict> conflicts;
  private final int conflictCapacity;

  private MerchantState(TreePMap<String, Item> items, TreePMap<String, Order> orders,
      long headSeq, TreePMap<String, Long> lastCounters, TreePVector<Conflict> conflicts,
      int conflictCapacity) {
    this.items = items;
    this.orders = orders;
    this.headSeq = headSeq;
    this.lastCounters = lastCounters;
    this.conflicts = conflicts;
    this.conflictCapacity = conflictCapacity;
  }

  /** The state of a merchant nothing happened to, keeping up to 1000 conflicts. */
  public static MerchantState empty() {
    return EMPTY;
  }

  /** The empty state keeping up to {@code conflictCapacity} conflicts. */
  public static MerchantState empty(int conflictCapacity) {
    return EMPTY.withConflictCapacity(conflictCapacity);
  }

  /**
   * A state from its parts, as a snapshot stores them.
   *
   * @throws IllegalArgumentException when a record's key differs from its id, or a number is out
   *     of range
   */
  public static MerchantState restore(Collection<Item> items, Collection<Order> orders,
      long headSeq, Map<String, Long> lastCounters, List<Conflict> conflicts,
      int conflictCapacity) {
    if (headSeq < 0) {
      throw new IllegalArgumentException("headSeq < 0: " + headSeq);
    }
    TreePMap<String, Item> itemMap = TreePMap.empty();
    for (Item item : items) {
      itemMap = itemMap.plus(item.itemId(), item);
    }
    TreePMap<String, Order> orderMap = TreePMap.empty();
    for (Order order : orders) {
      orderMap = orderMap.plus(order.orderId(), order);
    }
    TreePMap<String, Long> counters = TreePMap.empty();
    for (Map.Entry<String, Long> entry : lastCounters.entrySet()) {
      if (entry.getValue() != 0) {
        counters = counters.plus(entry.getKey(), entry.getValue());
      }
    }
    MerchantState state = new MerchantState(itemMap, orderMap, headSeq, counters,
        TreePVector.empty(), checkedCapacity(conflictCapacity));
    return state.withConflicts(conflicts);
  }

  private static int checkedCapacity(int capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("conflictCapacity < 0: " + capacity);
    }
    return capacity;
  }

  /** This state keeping up to {@code capacity} conflicts (the oldest are dropped). */
  public MerchantState withConflictCapacity(int capacity) {
    return new MerchantState(items, orders, headSeq, lastCounters, TreePVector.empty(),
        checkedCapacity(capacity)).withConflicts(conflicts);
  }

  public SortedMap<String, Item> items() {
    return items;
  }

  public SortedMap<String, Order> orders() {
    return orders;
  }

  public Optional<Item> item(String itemId) {
    return Optional.ofNullable(items.get(itemId));
  }

  public Optional<Order> order(String orderId) {
    return Optional.ofNullable(orders.get(orderId));
  }

  /** The record an op touches, if it exists. */
  public Optional<DomainRecord> record(Op op) {
    return Optional.ofNullable(op instanceof Op.ItemOp ? items.get(op.recordId())
        : orders.get(op.recordId()));
  }

  /** The seq of the last stored mutation; 0 when none. */
  public long headSeq() {
    return headSeq;
  }

  /** The highest stored counter of {@code deviceId}; 0 when none. */
  public long lastCounter(String deviceId) {
    return lastCounters.getOrDefault(deviceId, 0L);
  }

  public SortedMap<String, Long> lastCounters() {
    return lastCounters;
  }

  /** The newest conflicts, oldest first, at most {@link #conflictCapacity()}. */
  public List<Conflict> conflicts() {
    return conflicts;
  }

  public int conflictCapacity() {
    return conflictCapacity;
  }

  /** The logged conflicts raised by the mutation stored at {@code seq}. */
  public List<Conflict> conflictsAt(long seq) {
    return conflicts.stream().filter(c -> c.seq() == seq).toList();
  }

  /**
   * Applies a mutation the entity would store at {@code seq}; see {@link Outcome} for what each
   * result changes. Bad input is rejected with a reason, never thrown.
   *
   * @throws NullPointerException when {@code m} is null
   * @throws IllegalArgumentException when {@code seq} is not above {@link #headSeq()}
   */
  public Outcome apply(long seq, Mutation m) {
    Objects.requireNonNull(m, "mutation");
    if (seq <= headSeq) {
      throw new IllegalArgumentException("seq " + seq + " not above head seq " + headSeq);
    }
    Optional<DomainRecord> current = record(m.op());
    if (current.isPresent() && current.get().version().covers(m.dot())) {
      return new Outcome.Duplicate(this);
    }
    long last = lastCounter(m.dot().deviceId());
    if (m.dot().counter() <= last) {
      return rejected("counter " + m.dot().counter() + " not above device's last " + last);
    }
    Optional<String> problem = OpValidation.problem(m);
    if (problem.isPresent()) {
      return rejected(problem.get());
    }
    Resolution resolution = resolve(seq, m, current);
    if (resolution instanceof Resolution.Refused refused) {
      return rejected(refused.reason());
    }
    if (resolution instanceof Resolution.Applied applied) {
      MerchantState next = stored(seq, m, applied.record(), applied.conflicts());
      return new Outcome.Accepted(next, applied.record(), first(applied.conflicts()));
    }
    Resolution.StoredRefusal refusal = (Resolution.StoredRefusal) resolution;
    return new Outcome.Rejected(stored(seq, m, refusal.record(), refusal.conflicts()),
        refusal.reason(), first(refusal.conflicts()));
  }

  /**
   * This state after a mutation stored at {@code seq} whose outcome is already decided, as its
   * event records it: no merge rule runs. Head seq becomes {@code seq}; {@code deviceId}'s last
   * counter becomes {@code counter} when {@code counter > 0} (0 leaves the counters alone);
   * {@code record}, when present, replaces the record of its id; {@code conflicts} are appended to
   * the log, oldest dropped beyond {@link #conflictCapacity()}.
   *
   * <p>For an outcome of {@code apply(seq, m)} that {@linkplain Outcome#stored() stored} the
   * mutation, {@code recorded(seq, m's device, m's counter, the record after it,
   * outcome.state().conflictsAt(seq))} equals {@code outcome.state()}. The entity replays its
   * events through this.
   *
   * @throws IllegalArgumentException when {@code seq} is not above {@link #headSeq()} or
   *     {@code counter} is negative
   */
  public MerchantState recorded(long seq, String deviceId, long counter,
      Optional<DomainRecord> record, List<Conflict> conflicts) {
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(conflicts, "conflicts");
    if (seq <= headSeq) {
      throw new IllegalArgumentException("seq " + seq + " not above head seq " + headSeq);
    }
    if (counter < 0) {
      throw new IllegalArgumentException("counter < 0: " + counter);
    }
    MerchantState next = record.map(this::withRecord).orElse(this);
    TreePMap<String, Long> counters = counter > 0 ? lastCounters.plus(deviceId, counter)
        : lastCounters;
    return new MerchantState(next.items, next.orders, seq, counters, this.conflicts,
        conflictCapacity).withConflicts(conflicts);
  }

  /**
   * Applies a device's own pending mutation optimistically to a replica: as if the device had seen
   * the record as it is now (its base merged with the record's version), so no conflict arises.
   * Head seq, last counters and the conflict log are untouched. Returns {@code Duplicate} when the
   * record already covers the dot (the server's resolved view includes it), {@code Rejected} when
   * the server would refuse it as the replica stands.
   */
  public Outcome applyLocal(Mutation m) {
    Objects.requireNonNull(m, "mutation");
    Optional<DomainRecord> current = record(m.op());
    if (current.isPresent() && current.get().version().covers(m.dot())) {
      return new Outcome.Duplicate(this);
    }
    Optional<String> problem = OpValidation.problem(m);
    if (problem.isPresent()) {
      return rejected(problem.get());
    }
    Mutation seeingAll = m.withBase(
        current.map(r -> m.base().merge(r.version())).orElse(m.base()));
    Resolution resolution = resolve(headSeq, seeingAll, current);
    if (resolution instanceof Resolution.Applied applied) {
      return new Outcome.Accepted(withRecord(applied.record()), applied.record(),
          Optional.empty());
    }
    return rejected(resolution instanceof Resolution.Refused refused ? refused.reason()
        : ((Resolution.StoredRefusal) resolution).reason());
  }

  /** This state with {@code record} replaced by its resolved view; head seq unchanged. */
  public MerchantState withResolved(DomainRecord record) {
    return withResolved(headSeq, record);
  }

  /**
   * This state with {@code record} replaced by the server's resolved view of it at {@code seq}
   * (head seq becomes the higher of the two).
   */
  public MerchantState withResolved(long seq, DomainRecord record) {
    Objects.requireNonNull(record, "record");
    return withRecord(record.resolvedView()).atSeq(Math.max(seq, headSeq));
  }

  /**
   * The resolved view of this state: every record reduced to its resolved fields, the same head
   * seq, no last counters and no conflicts. A device replica that has caught up equals this.
   */
  public MerchantState resolvedView() {
    TreePMap<String, Item> itemViews = TreePMap.empty();
    for (Item item : items.values()) {
      itemViews = itemViews.plus(item.itemId(), item.resolvedView());
    }
    TreePMap<String, Order> orderViews = TreePMap.empty();
    for (Order order : orders.values()) {
      orderViews = orderViews.plus(order.orderId(), order.resolvedView());
    }
    return new MerchantState(itemViews, orderViews, headSeq, TreePMap.empty(),
        TreePVector.empty(), conflictCapacity);
  }

  /** This state with an empty conflict log: what arrival order does not change. */
  public MerchantState withoutConflicts() {
    return new MerchantState(items, orders, headSeq, lastCounters, TreePVector.empty(),
        conflictCapacity);
  }

  private Resolution resolve(long seq, Mutation m, Optional<DomainRecord> current) {
    Op op = m.op();
    if (op instanceof Op.ItemOp) {
      if (current.isEmpty() && !(op instanceof Op.UpsertItem)) {
        return new Resolution.Refused("unknown item " + op.recordId());
      }
      return ((Item) current.orElseGet(() -> Item.absent(op.recordId()))).apply(seq, m);
    }
    if (current.isEmpty()) {
      return op instanceof Op.OpenOrder
          ? new Resolution.Applied(new Order(op.recordId(), List.of(m.dot()), List.of(),
              List.of(), List.of(), VersionVector.EMPTY.with(m.dot())), List.of())
          : new Resolution.Refused("unknown order " + op.recordId());
    }
    return ((Order) current.get()).apply(seq, m);
  }

  private Outcome.Rejected rejected(String reason) {
    return new Outcome.Rejected(this, reason, Optional.empty());
  }

  private MerchantState stored(long seq, Mutation m, DomainRecord record, List<Conflict> raised) {
    return recorded(seq, m.dot().deviceId(), m.dot().counter(), Optional.of(record), raised);
  }

  private MerchantState withRecord(DomainRecord record) {
    if (record instanceof Item item) {
      return new MerchantState(items.plus(item.itemId(), item), orders, headSeq, lastCounters,
          conflicts, conflictCapacity);
    }
    Order order = (Order) record;
    return new MerchantState(items, orders.plus(order.orderId(), order), headSeq, lastCounters,
        conflicts, conflictCapacity);
  }

  MerchantState atSeq(long seq) {
    return new MerchantState(items, orders, seq, lastCounters, conflicts, conflictCapacity);
  }

  private MerchantState withConflicts(List<Conflict> raised) {
    if (raised.isEmpty()) {
      return this;
    }
    TreePVector<Conflict> log = conflicts;
    for (Conflict conflict : raised) {
      log = log.plus(Objects.requireNonNull(conflict, "conflict"));
    }
    while (log.size() > conflictCapacity) {
      log = log.minus(0); // the oldest; O(log n), the log is not copied
    }
    return new MerchantState(items, orders, headSeq, lastCounters, log, conflictCapacity);
  }

  private static Optional<Conflict> first(List<Conflict> conflicts) {
    return conflicts.isEmpty() ? Optional.empty() : Optional.of(conflicts.get(0));
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof MerchantState that
        && headSeq == that.headSeq
        && conflictCapacity == that.conflictCapacity
        && items.equals(that.items)
        && orders.equals(that.orders)
        && lastCounters.equals(that.lastCounters)
        && conflicts.equals(that.conflicts);
  }

  @Override
  public int hashCode() {
    return Objects.hash(items, orders, headSeq, lastCounters, conflicts, conflictCapacity);
  }

  @Override
  public String toString() {
    return "MerchantState{headSeq=" + headSeq + ", items=" + items.size() + ", orders="
        + orders.size() + ", lastCounters=" + lastCounters + ", conflicts=" + conflicts.size()
        + "}";
  }
}
