package io.lockstep.serialization;

import io.lockstep.domain.Authority;
import io.lockstep.domain.Conflict;
import io.lockstep.domain.DomainRecord;
import io.lockstep.domain.Dot;
import io.lockstep.domain.Hlc;
import io.lockstep.domain.Item;
import io.lockstep.domain.Mutation;
import io.lockstep.domain.Op;
import io.lockstep.domain.Order;
import io.lockstep.domain.OrderLine;
import io.lockstep.domain.OrderState;
import io.lockstep.domain.Payment;
import io.lockstep.domain.VersionVector;
import io.lockstep.protocol.v1.AddLine;
import io.lockstep.protocol.v1.AddPayment;
import io.lockstep.protocol.v1.AdjustStock;
import io.lockstep.protocol.v1.DeleteItem;
import io.lockstep.protocol.v1.OpenOrder;
import io.lockstep.protocol.v1.RemoveLine;
import io.lockstep.protocol.v1.SetOrderState;
import io.lockstep.protocol.v1.SetStock;
import io.lockstep.protocol.v1.UpsertItem;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The one mapping between domain values and the device wire protocol ({@code lockstep.v1}).
 *
 * <p>Decoding a device's mutation checks its structure (an op is set, ids are not empty, counters
 * fit a signed long, the order state is known) and throws {@link InvalidMutationException} with a
 * message naming the bad value; business rules (quantities, prices, unknown records) are left to
 * {@link io.lockstep.domain.MerchantState#apply}, which rejects with a reason. Encoding is total.
 * Repeated fields are written in id order. Stateless; all methods are static.
 */
public final class DeviceProtocolMapper {

  private DeviceProtocolMapper() {}

  // ---- mutations ------------------------------------------------------------------------------

  /**
   * The domain mutation a device (or service) with {@code deviceId} sent.
   *
   * @throws InvalidMutationException when the message has no op, an empty id or a value out of
   *     range
   */
  public static Mutation toDomain(String deviceId, Authority authority,
      io.lockstep.protocol.v1.Mutation m) {
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(authority, "authority");
    Objects.requireNonNull(m, "mutation");
    require(!deviceId.isEmpty(), "empty device id");
    require(m.getCounter() > 0, "counter must be between 1 and 2^63-1: "
        + Long.toUnsignedString(m.getCounter()));
    Op op = op(m);
    return new Mutation(new Dot(deviceId, m.getCounter()), toDomain(m.getBase()),
        Hlc.unpack(m.getHlc()), authority, op);
  }

  private static Op op(io.lockstep.protocol.v1.Mutation m) {
    return switch (m.getOpCase()) {
      case ADJUST_STOCK -> {
        AdjustStock a = m.getAdjustStock();
        yield new Op.AdjustStock(id("adjust_stock.item_id", a.getItemId()), a.getDelta());
      }
      case SET_STOCK -> {
        SetStock s = m.getSetStock();
        yield new Op.SetStock(id("set_stock.item_id", s.getItemId()), s.getCount());
      }
      case UPSERT_ITEM -> {
        UpsertItem u = m.getUpsertItem();
        yield new Op.UpsertItem(id("upsert_item.item_id", u.getItemId()),
            u.hasName() ? u.getName() : null, u.hasSku() ? u.getSku() : null,
            u.hasPriceCents() ? u.getPriceCents() : null);
      }
      case DELETE_ITEM -> new Op.DeleteItem(id("delete_item.item_id", m.getDeleteItem().getItemId()));
      case OPEN_ORDER -> new Op.OpenOrder(id("open_order.order_id", m.getOpenOrder().getOrderId()));
      case ADD_LINE -> {
        AddLine l = m.getAddLine();
        yield new Op.AddLine(id("add_line.order_id", l.getOrderId()),
            id("add_line.line_id", l.getLineId()), id("add_line.item_id", l.getItemId()),
            l.getQuantity(), l.getPriceCents());
      }
      case REMOVE_LINE -> {
        RemoveLine r = m.getRemoveLine();
        yield new Op.RemoveLine(id("remove_line.order_id", r.getOrderId()),
            id("remove_line.line_id", r.getLineId()));
      }
      case SET_ORDER_STATE -> {
        SetOrderState s = m.getSetOrderState();
        yield new Op.SetOrderState(id("set_order_state.order_id", s.getOrderId()),
            orderState("set_order_state.state", s.getStateValue()));
      }
      case ADD_PAYMENT -> {
        AddPayment p = m.getAddPayment();
        yield new Op.AddPayment(id("add_payment.order_id", p.getOrderId()),
            id("add_payment.payment_id", p.getPaymentId()), p.getAmountCents());
      }
      case OP_NOT_SET -> throw new InvalidMutationException("mutation "
          + Long.toUnsignedString(m.getCounter()) + " has no op (missing, or unknown to this server)");
    };
  }

  /** The wire form of a mutation; the sender's device id travels outside it. */
  public static io.lockstep.protocol.v1.Mutation toProto(Mutation m) {
    io.lockstep.protocol.v1.Mutation.Builder b = io.lockstep.protocol.v1.Mutation.newBuilder()
        .setCounter(m.dot().counter())
        .setBase(toProto(m.base()))
        .setHlc(m.hlc().pack());
    Op op = m.op();
    if (op instanceof Op.AdjustStock a) {
      b.setAdjustStock(AdjustStock.newBuilder().setItemId(a.itemId()).setDelta(a.delta()));
    } else if (op instanceof Op.SetStock s) {
      b.setSetStock(SetStock.newBuilder().setItemId(s.itemId()).setCount(s.count()));
    } else if (op instanceof Op.UpsertItem u) {
      UpsertItem.Builder ub = UpsertItem.newBuilder().setItemId(u.itemId());
      if (u.name() != null) {
        ub.setName(u.name());
      }
      if (u.sku() != null) {
        ub.setSku(u.sku());
      }
      if (u.priceCents() != null) {
        ub.setPriceCents(u.priceCents());
      }
      b.setUpsertItem(ub);
    } else if (op instanceof Op.DeleteItem d) {
      b.setDeleteItem(DeleteItem.newBuilder().setItemId(d.itemId()));
    } else if (op instanceof Op.OpenOrder o) {
      b.setOpenOrder(OpenOrder.newBuilder().setOrderId(o.orderId()));
    } else if (op instanceof Op.AddLine l) {
      b.setAddLine(AddLine.newBuilder().setOrderId(l.orderId()).setLineId(l.lineId())
          .setItemId(l.itemId()).setQuantity(l.quantity()).setPriceCents(l.priceCents()));
    } else if (op instanceof Op.RemoveLine r) {
      b.setRemoveLine(RemoveLine.newBuilder().setOrderId(r.orderId()).setLineId(r.lineId()));
    } else if (op instanceof Op.SetOrderState s) {
      b.setSetOrderState(SetOrderState.newBuilder().setOrderId(s.orderId())
          .setState(toProto(s.state())));
    } else {
      Op.AddPayment p = (Op.AddPayment) op;
      b.setAddPayment(AddPayment.newBuilder().setOrderId(p.orderId())
          .setPaymentId(p.paymentId()).setAmountCents(p.amountCents()));
    }
    return b.build();
  }

  // ---- version vectors, dots, states ----------------------------------------------------------

  public static io.lockstep.protocol.v1.VersionVector toProto(VersionVector v) {
    return io.lockstep.protocol.v1.VersionVector.newBuilder().putAllCounters(v.counters()).build();
  }

  /**
   * The domain form of a wire version vector; zero counters are dropped.
   *
   * @throws InvalidMutationException for an empty device id or a counter above 2^63-1
   */
  public static VersionVector toDomain(io.lockstep.protocol.v1.VersionVector v) {
    Map<String, Long> counters = new TreeMap<>(v.getCountersMap());
    counters.forEach((device, counter) -> {
      require(!device.isEmpty(), "empty device id in version vector");
      require(counter >= 0, "version vector counter of " + device + " above 2^63-1: "
          + Long.toUnsignedString(counter));
    });
    return VersionVector.of(counters);
  }

  public static io.lockstep.protocol.v1.Dot toProto(Dot dot) {
    return io.lockstep.protocol.v1.Dot.newBuilder().setDeviceId(dot.deviceId())
        .setCounter(dot.counter()).build();
  }

  /** @throws InvalidMutationException for a counter above 2^63-1 */
  public static Dot toDomain(io.lockstep.protocol.v1.Dot dot) {
    require(dot.getCounter() >= 0, "dot counter above 2^63-1: "
        + Long.toUnsignedString(dot.getCounter()));
    return new Dot(dot.getDeviceId(), dot.getCounter());
  }

  public static io.lockstep.protocol.v1.OrderState toProto(OrderState state) {
    return switch (state) {
      case OPEN -> io.lockstep.protocol.v1.OrderState.OPEN;
      case LOCKED -> io.lockstep.protocol.v1.OrderState.LOCKED;
      case VOIDED -> io.lockstep.protocol.v1.OrderState.VOIDED;
      case PAID -> io.lockstep.protocol.v1.OrderState.PAID;
      case REFUNDED -> io.lockstep.protocol.v1.OrderState.REFUNDED;
    };
  }

  /**
   * The domain state of a wire state; there is no fallback state: an order must not read as
   * another state than the one a newer sender meant.
   *
   * @throws InvalidMutationException for an unspecified or unknown state
   */
  public static OrderState toDomain(io.lockstep.protocol.v1.OrderState state) {
    return switch (state) {
      case OPEN -> OrderState.OPEN;
      case LOCKED -> OrderState.LOCKED;
      case VOIDED -> OrderState.VOIDED;
      case PAID -> OrderState.PAID;
      case REFUNDED -> OrderState.REFUNDED;
      case ORDER_STATE_UNSPECIFIED, UNRECOGNIZED ->
          throw new InvalidMutationException("unspecified or unknown order state: " + state);
    };
  }

  /** The state numbered {@code number} in {@code field}; the message names both when unknown. */
  private static OrderState orderState(String field, int number) {
    io.lockstep.protocol.v1.OrderState state = io.lockstep.protocol.v1.OrderState.forNumber(number);
    if (state == null || state == io.lockstep.protocol.v1.OrderState.ORDER_STATE_UNSPECIFIED) {
      throw new InvalidMutationException(field + ": unspecified or unknown order state " + number);
    }
    return toDomain(state);
  }

  // ---- resolved records -----------------------------------------------------------------------

  /** The resolved view of an item, as sent in a Change or Snapshot. */
  public static io.lockstep.protocol.v1.Item toProto(Item item) {
    return io.lockstep.protocol.v1.Item.newBuilder()
        .setItemId(item.itemId())
        .setName(item.name())
        .setSku(item.sku())
        .setPriceCents(item.priceCents())
        .setStock(item.stock())
        .setDeleted(item.deleted())
        .setVersion(toProto(item.version()))
        .build();
  }

  /** The resolved view of an order; lines and payments in id order. */
  public static io.lockstep.protocol.v1.Order toProto(Order order) {
    io.lockstep.protocol.v1.Order.Builder b = io.lockstep.protocol.v1.Order.newBuilder()
        .setOrderId(order.orderId())
        .setState(toProto(order.state()))
        .setVersion(toProto(order.version()));
    order.lines().values().forEach(line -> b.addLines(io.lockstep.protocol.v1.OrderLine
        .newBuilder().setLineId(line.lineId()).setItemId(line.itemId())
        .setQuantity(line.quantity()).setPriceCents(line.priceCents())));
    order.payments().values().forEach(payment -> b.addPayments(io.lockstep.protocol.v1.Payment
        .newBuilder().setPaymentId(payment.paymentId()).setAmountCents(payment.amountCents())));
    return b.build();
  }

  /** A device's replica record from a server's resolved item. */
  public static Item toDomain(io.lockstep.protocol.v1.Item item) {
    return Item.resolved(item.getItemId(), item.getName(), item.getSku(), item.getPriceCents(),
        item.getStock(), item.getDeleted(), toDomain(item.getVersion()));
  }

  /**
   * A device's replica record from a server's resolved order.
   *
   * @throws InvalidMutationException for an unknown state or a bad version vector
   */
  public static Order toDomain(io.lockstep.protocol.v1.Order order) {
    List<OrderLine> lines = order.getLinesList().stream()
        .map(l -> new OrderLine(l.getLineId(), l.getItemId(), l.getQuantity(), l.getPriceCents()))
        .toList();
    List<Payment> payments = order.getPaymentsList().stream()
        .map(p -> new Payment(p.getPaymentId(), p.getAmountCents()))
        .toList();
    return Order.resolved(order.getOrderId(), orderState("order.state", order.getStateValue()),
        lines, payments, toDomain(order.getVersion()));
  }

  /** The record of a Change: sets {@code item} or {@code order}. */
  public static io.lockstep.protocol.v1.Change.Builder withRecord(
      io.lockstep.protocol.v1.Change.Builder change, DomainRecord record) {
    return record instanceof Item item ? change.setItem(toProto(item))
        : change.setOrder(toProto((Order) record));
  }

  /**
   * The record carried by a Change, for a device replica.
   *
   * @throws InvalidMutationException when the change carries no record
   */
  public static DomainRecord recordOf(io.lockstep.protocol.v1.Change change) {
    return switch (change.getRecordCase()) {
      case ITEM -> toDomain(change.getItem());
      case ORDER -> toDomain(change.getOrder());
      case RECORD_NOT_SET ->
          throw new InvalidMutationException("change " + change.getSeq() + " carries no record");
    };
  }

  // ---- conflicts ------------------------------------------------------------------------------

  public static io.lockstep.protocol.v1.Conflict toProto(Conflict c) {
    return io.lockstep.protocol.v1.Conflict.newBuilder()
        .setSeq(c.seq())
        .setRecordId(c.recordId())
        .setField(c.field())
        .setRule(c.rule())
        .setIncoming(toProto(c.incoming()))
        .setIncomingValue(c.incomingValue())
        .setExisting(toProto(c.existing()))
        .setExistingValue(c.existingValue())
        .setWinner(toProto(c.winner()))
        .setDetail(c.detail())
        .build();
  }

  public static Conflict toDomain(io.lockstep.protocol.v1.Conflict c) {
    return new Conflict(c.getSeq(), c.getRecordId(), c.getField(), c.getRule(),
        toDomain(c.getIncoming()), c.getIncomingValue(), toDomain(c.getExisting()),
        c.getExistingValue(), toDomain(c.getWinner()), c.getDetail());
  }

  private static String id(String field, String value) {
    require(!value.isEmpty(), "empty " + field);
    return value;
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new InvalidMutationException(message);
    }
  }
}
