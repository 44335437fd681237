package io.lockstep.domain;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * An order: the resolved view ({@link #state()}, {@link #lines()}, {@link #payments()},
 * {@link #version()}) computed from merge metadata kept in the components, so that every arrival
 * order of the same concurrent mutations gives an equal order.
 *
 * <ul>
 *   <li>state: the join of every state write ({@link OrderState} lattice), so it never moves back;
 *   <li>lines: an add-wins observed-remove set keyed by line id; a remove marks the adds it saw as
 *       removed, an add it did not see survives. An add that no paying state write (PAID,
 *       REFUNDED) had seen is hidden once the order is paid (a line added concurrently with the
 *       payment); it stays as metadata so arrival order does not matter;
 *   <li>payments: an append-only set keyed by payment id; concurrent adds of one id resolve to the
 *       highest stamp.
 * </ul>
 *
 * Immutable; lists are sorted and unmodifiable.
 */
public record Order(
    String orderId,
    List<Dot> openedBy,
    List<StateWrite> stateWrites,
    List<LineAdd> lineAdds,
    List<PaymentAdd> paymentAdds,
    VersionVector version)
    implements DomainRecord {

  /** A state change and the version of the order its writer had seen. */
  public record StateWrite(Stamp stamp, OrderState state, VersionVector base) {
    public StateWrite {
      Objects.requireNonNull(stamp, "stamp");
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(base, "base");
    }

    public Dot dot() {
      return stamp.dot();
    }
  }

  /** One add of a line id; {@code removed} once a remove that saw it arrived. */
  public record LineAdd(String lineId, Stamp stamp, String itemId, long quantity, long priceCents,
      boolean removed) {
    public LineAdd {
      Objects.requireNonNull(lineId, "lineId");
      Objects.requireNonNull(stamp, "stamp");
      Objects.requireNonNull(itemId, "itemId");
    }

    public Dot dot() {
      return stamp.dot();
    }

    OrderLine line() {
      return new OrderLine(lineId, itemId, quantity, priceCents);
    }
  }

  /** One add of a payment id. */
  public record PaymentAdd(String paymentId, Stamp stamp, long amountCents) {
    public PaymentAdd {
      Objects.requireNonNull(paymentId, "paymentId");
      Objects.requireNonNull(stamp, "stamp");
    }

    public Dot dot() {
      return stamp.dot();
    }
  }

  public Order {
    Objects.requireNonNull(orderId, "orderId");
    Objects.requireNonNull(version, "version");
    openedBy = sorted(openedBy, Comparator.naturalOrder());
    stateWrites = sorted(stateWrites, Comparator.comparing(StateWrite::dot));
    lineAdds = sorted(lineAdds,
        Comparator.comparing(LineAdd::lineId).thenComparing(LineAdd::dot));
    paymentAdds = sorted(paymentAdds,
        Comparator.comparing(PaymentAdd::paymentId).thenComparing(PaymentAdd::dot));
  }

  private static <T> List<T> sorted(Collection<T> values, Comparator<? super T> order) {
    List<T> copy = new ArrayList<>(values);
    copy.sort(order);
    return List.copyOf(copy);
  }

  /** An order rebuilt from its resolved view (as devices receive it), without merge history. */
  public static Order resolved(String orderId, OrderState state, Collection<OrderLine> lines,
      Collection<Payment> payments, VersionVector version) {
    List<StateWrite> writes = state == OrderState.OPEN ? List.of()
        : List.of(new StateWrite(Stamp.RESOLVED, state, version));
    List<LineAdd> adds = lines.stream().map(l -> new LineAdd(l.lineId(), Stamp.RESOLVED,
        l.itemId(), l.quantity(), l.priceCents(), false)).toList();
    List<PaymentAdd> paid = payments.stream()
        .map(p -> new PaymentAdd(p.paymentId(), Stamp.RESOLVED, p.amountCents())).toList();
    return new Order(orderId, List.of(Dot.RESOLVED), writes, adds, paid, version);
  }

  @Override
  public String recordId() {
    return orderId;
  }

  @Override
  public Order resolvedView() {
    return resolved(orderId, state(), lines().values(), payments().values(), version);
  }

  /** The join of all state writes; {@code OPEN} when there is none. */
  public OrderState state() {
    return stateIn(write -> true);
  }

  /** The state a writer that saw {@code base} saw. */
  public OrderState stateSeenBy(VersionVector base) {
    return stateIn(write -> base.covers(write.dot()));
  }

  private OrderState stateIn(Predicate<StateWrite> seen) {
    return stateWrites.stream().filter(seen).map(StateWrite::state)
        .reduce(OrderState.OPEN, OrderState::join);
  }

  /** The visible lines by line id: not removed and not added concurrently with the payment. */
  public SortedMap<String, OrderLine> lines() {
    return resolve(lineAdds.stream().filter(this::visible).toList(), LineAdd::lineId,
        LineAdd::stamp, LineAdd::line);
  }

  /** The payments by payment id. */
  public SortedMap<String, Payment> payments() {
    return resolve(paymentAdds, PaymentAdd::paymentId, PaymentAdd::stamp,
        p -> new Payment(p.paymentId(), p.amountCents()));
  }

  private static <A, V> SortedMap<String, V> resolve(List<A> adds, Function<A, String> key,
      Function<A, Stamp> stamp, Function<A, V> view) {
    TreeMap<String, A> best = new TreeMap<>();
    for (A add : adds) {
      best.merge(key.apply(add), add,
          (a, b) -> stamp.apply(a).compareTo(stamp.apply(b)) >= 0 ? a : b);
    }
    TreeMap<String, V> result = new TreeMap<>();
    best.forEach((id, add) -> result.put(id, view.apply(add)));
    return Collections.unmodifiableSortedMap(result);
  }

  private boolean visible(LineAdd add) {
    if (add.removed()) {
      return false;
    }
    List<StateWrite> paying = stateWrites.stream().filter(w -> w.state().isPaid()).toList();
    return paying.isEmpty() || paying.stream().anyMatch(w -> w.base().covers(add.dot()));
  }

  Resolution apply(long seq, Mutation m) {
    Op op = m.op();
    if (op instanceof Op.OpenOrder) {
      return open(m);
    }
    if (op instanceof Op.AddLine add) {
      return addLine(seq, m, add);
    }
    if (op instanceof Op.RemoveLine remove) {
      return removeLine(seq, m, remove);
    }
    if (op instanceof Op.SetOrderState set) {
      return setState(seq, m, set.state());
    }
    return addPayment(seq, m, (Op.AddPayment) op);
  }

  private Resolution open(Mutation m) {
    if (openedBy.stream().anyMatch(m.base()::covers)) {
      return new Resolution.Refused("order " + orderId + " already exists");
    }
    List<Dot> opens = new ArrayList<>(openedBy);
    opens.add(m.dot());
    return applied(m, new Order(orderId, opens, stateWrites, lineAdds, paymentAdds, version),
        List.of());
  }

  private Resolution addLine(long seq, Mutation m, Op.AddLine add) {
    if (lineAdds.stream().anyMatch(a -> a.lineId().equals(add.lineId())
        && m.base().covers(a.dot()))) {
      return new Resolution.Refused("line " + add.lineId() + " already exists on order " + orderId);
    }
    OrderState seen = stateSeenBy(m.base());
    if (seen != OrderState.OPEN) {
      return new Resolution.Refused("order " + orderId + " is " + seen + ": no line can be added");
    }
    List<LineAdd> adds = new ArrayList<>(lineAdds);
    adds.add(new LineAdd(add.lineId(), Stamp.of(m), add.itemId(), add.quantity(),
        add.priceCents(), false));
    Order next = new Order(orderId, openedBy, stateWrites, adds, paymentAdds, version);
    Optional<StateWrite> payment = stateWrites.stream().filter(w -> w.state().isPaid())
        .max(Comparator.comparing(StateWrite::stamp));
    if (payment.isPresent()) {
      return paidConcurrently(seq, m, add, next, payment.get());
    }
    return applied(m, next, lineIdConflict(seq, m, add));
  }

  /** A line the payment did not see: stored (so order does not matter) but hidden and refused. */
  private Resolution paidConcurrently(long seq, Mutation m, Op.AddLine add, Order next,
      StateWrite payment) {
    Conflict conflict = new Conflict(seq, orderId, "lines/" + add.lineId(), "line-after-payment",
        m.dot(), describe(add.lineId(), add.quantity(), add.itemId(), add.priceCents()),
        payment.dot(), payment.state().name(), payment.dot(),
        "line added concurrently with the payment of the order: rejected");
    return new Resolution.StoredRefusal(next.withDot(m.dot()), "order " + orderId
        + " was paid concurrently (" + payment.dot() + "): line " + add.lineId() + " rejected",
        List.of(conflict));
  }

  private List<Conflict> lineIdConflict(long seq, Mutation m, Op.AddLine add) {
    Stamp stamp = Stamp.of(m);
    return lineAdds.stream()
        .filter(a -> a.lineId().equals(add.lineId()) && !a.removed() && !m.base().covers(a.dot()))
        .max(Comparator.comparing(LineAdd::stamp))
        .map(other -> new Conflict(seq, orderId, "lines/" + add.lineId(), "line-id-highest-stamp",
            m.dot(), describe(add.lineId(), add.quantity(), add.itemId(), add.priceCents()),
            other.dot(),
            describe(other.lineId(), other.quantity(), other.itemId(), other.priceCents()),
            other.stamp().compareTo(stamp) > 0 ? other.dot() : m.dot(),
            "concurrent adds of one line id: highest (authority, hlc, device) shown"))
        .stream().toList();
  }

  private static String describe(String lineId, long quantity, String itemId, long priceCents) {
    return lineId + ": " + quantity + " x " + itemId + " @ " + priceCents;
  }

  private Resolution removeLine(long seq, Mutation m, Op.RemoveLine remove) {
    List<LineAdd> same = lineAdds.stream().filter(a -> a.lineId().equals(remove.lineId())).toList();
    if (same.stream().noneMatch(a -> m.base().covers(a.dot()))) {
      return new Resolution.Refused("unknown line " + remove.lineId() + " on order " + orderId);
    }
    OrderState seen = stateSeenBy(m.base());
    if (seen != OrderState.OPEN) {
      return new Resolution.Refused("order " + orderId + " is " + seen + ": no line can be removed");
    }
    List<LineAdd> adds = lineAdds.stream()
        .map(a -> a.lineId().equals(remove.lineId()) && m.base().covers(a.dot()) && !a.removed()
            ? new LineAdd(a.lineId(), a.stamp(), a.itemId(), a.quantity(), a.priceCents(), true)
            : a)
        .toList();
    List<Conflict> conflicts = new ArrayList<>();
    same.stream().filter(a -> !a.removed() && !m.base().covers(a.dot())).findFirst()
        .ifPresent(kept -> conflicts.add(new Conflict(seq, orderId, "lines/" + remove.lineId(),
            "add-wins", m.dot(), "removed", kept.dot(),
            describe(kept.lineId(), kept.quantity(), kept.itemId(), kept.priceCents()), kept.dot(),
            "an add the remover had not seen survives the remove")));
    return applied(m, new Order(orderId, openedBy, stateWrites, adds, paymentAdds, version),
        conflicts);
  }

  private Resolution setState(long seq, Mutation m, OrderState target) {
    OrderState seen = stateSeenBy(m.base());
    if (!seen.canMoveTo(target)) {
      return new Resolution.Refused(
          "order " + orderId + " cannot move from " + seen + " to " + target);
    }
    List<StateWrite> writes = new ArrayList<>(stateWrites);
    writes.add(new StateWrite(Stamp.of(m), target, m.base()));
    Order next = new Order(orderId, openedBy, writes, lineAdds, paymentAdds, version);
    List<Conflict> conflicts = new ArrayList<>();
    stateWrites.stream().filter(w -> !m.base().covers(w.dot()))
        .max(Comparator.comparing(StateWrite::state).thenComparing(StateWrite::stamp))
        .ifPresent(other -> {
          OrderState joined = next.state();
          Dot winner = other.state() == joined && target != joined ? other.dot() : m.dot();
          conflicts.add(new Conflict(seq, orderId, "state", "forward-only-join", m.dot(),
              target.name(), other.dot(), other.state().name(), winner,
              "concurrent state changes join to " + joined));
        });
    lineAdds.stream()
        .filter(a -> visible(a) && !next.visible(a))
        .forEach(hidden -> conflicts.add(new Conflict(seq, orderId, "lines/" + hidden.lineId(),
            "line-after-payment", m.dot(), target.name(), hidden.dot(),
            describe(hidden.lineId(), hidden.quantity(), hidden.itemId(), hidden.priceCents()),
            m.dot(), "line added concurrently with the payment of the order: rejected")));
    return applied(m, next, conflicts);
  }

  private Resolution addPayment(long seq, Mutation m, Op.AddPayment add) {
    if (paymentAdds.stream().anyMatch(p -> p.paymentId().equals(add.paymentId())
        && m.base().covers(p.dot()))) {
      return new Resolution.Refused(
          "payment " + add.paymentId() + " already recorded on order " + orderId);
    }
    OrderState seen = stateSeenBy(m.base());
    if (seen == OrderState.VOIDED || seen == OrderState.REFUNDED) {
      return new Resolution.Refused("order " + orderId + " is " + seen + ": no payment possible");
    }
    Stamp stamp = Stamp.of(m);
    List<PaymentAdd> adds = new ArrayList<>(paymentAdds);
    adds.add(new PaymentAdd(add.paymentId(), stamp, add.amountCents()));
    List<Conflict> conflicts = new ArrayList<>();
    paymentAdds.stream()
        .filter(p -> p.paymentId().equals(add.paymentId()) && p.amountCents() != add.amountCents())
        .max(Comparator.comparing(PaymentAdd::stamp))
        .ifPresent(other -> {
          Dot winner = other.stamp().compareTo(stamp) > 0 ? other.dot() : m.dot();
          conflicts.add(new Conflict(seq, orderId, "payments/" + add.paymentId(),
              "payment-id-highest-stamp", m.dot(), String.valueOf(add.amountCents()), other.dot(),
              String.valueOf(other.amountCents()), winner,
              "concurrent adds of one payment id: highest (authority, hlc, device) kept"));
        });
    return applied(m, new Order(orderId, openedBy, stateWrites, lineAdds, adds, version),
        conflicts);
  }

  private Order withDot(Dot dot) {
    return new Order(orderId, openedBy, stateWrites, lineAdds, paymentAdds, version.with(dot));
  }

  private static Resolution applied(Mutation m, Order next, List<Conflict> conflicts) {
    return new Resolution.Applied(next.withDot(m.dot()), conflicts);
  }
}
