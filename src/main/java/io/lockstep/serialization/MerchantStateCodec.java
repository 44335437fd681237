package io.lockstep.serialization;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.lockstep.domain.Authority;
import io.lockstep.domain.Conflict;
import io.lockstep.domain.Dot;
import io.lockstep.domain.Hlc;
import io.lockstep.domain.Item;
import io.lockstep.domain.MerchantState;
import io.lockstep.domain.Order;
import io.lockstep.domain.OrderState;
import io.lockstep.domain.Register;
import io.lockstep.domain.Stamp;
import io.lockstep.domain.StockLedger;
import io.lockstep.domain.Tombstone;
import io.lockstep.domain.VersionVector;
import io.lockstep.storage.v1.DeviceCounter;
import io.lockstep.storage.v1.LongEntry;
import io.lockstep.storage.v1.LongRegister;
import io.lockstep.storage.v1.MerchantSnapshot;
import io.lockstep.storage.v1.StockDelta;
import io.lockstep.storage.v1.StringEntry;
import io.lockstep.storage.v1.StringRegister;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one mapping between {@link MerchantState} (with all merge metadata, conflict log, last
 * counters and head seq) and the storage snapshot {@code lockstep.storage.v1.MerchantSnapshot}.
 *
 * <p>{@link #toBytes} is deterministic: equal states give equal bytes (records, counters and
 * metadata in sorted order; deterministic protobuf serialization). Decoding is lenient towards
 * older snapshots: a missing field reads as its neutral value (empty, zero, OPEN, DEVICE, default
 * conflict capacity). It is strict towards newer ones: an enum value this version does not know
 * is an {@link IllegalArgumentException} naming it, never a nearby value. Stateless; all methods
 * are static.
 */
public final class MerchantStateCodec {

  private MerchantStateCodec() {}

  /** The deterministic bytes of a state. */
  public static byte[] toBytes(MerchantState state) {
    MerchantSnapshot snapshot = toProto(state);
    byte[] bytes = new byte[snapshot.getSerializedSize()];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.useDeterministicSerialization();
    try {
      snapshot.writeTo(out);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("writing to a byte array failed", e);
    }
    return bytes;
  }

  /**
   * The state stored by {@link #toBytes}.
   *
   * @throws IllegalArgumentException when the bytes are not a valid snapshot or hold an enum value
   *     this version does not know
   */
  public static MerchantState fromBytes(byte[] bytes) {
    try {
      return fromProto(MerchantSnapshot.parseFrom(bytes));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a merchant snapshot: " + e.getMessage(), e);
    }
  }

  public static MerchantSnapshot toProto(MerchantState state) {
    MerchantSnapshot.Builder b = MerchantSnapshot.newBuilder()
        .setHeadSeq(state.headSeq())
        .addAllLastCounters(counters(state.lastCounters()))
        .setConflictCapacity(state.conflictCapacity());
    state.items().values().forEach(item -> b.addItems(toProto(item)));
    state.orders().values().forEach(order -> b.addOrders(toProto(order)));
    state.conflicts().forEach(conflict -> b.addConflicts(toProto(conflict)));
    return b.build();
  }

  /**
   * @throws IllegalArgumentException when a value is out of range (a counter above 2^63-1) or an
   *     enum value is unknown to this version
   */
  public static MerchantState fromProto(MerchantSnapshot s) {
    return MerchantState.restore(
        s.getItemsList().stream().map(MerchantStateCodec::toDomain).toList(),
        s.getOrdersList().stream().map(MerchantStateCodec::toDomain).toList(),
        s.getHeadSeq(),
        counters(s.getLastCountersList()),
        s.getConflictsList().stream().map(MerchantStateCodec::toDomain).toList(),
        s.hasConflictCapacity() ? s.getConflictCapacity()
            : MerchantState.DEFAULT_CONFLICT_CAPACITY);
  }

  // ---- items ----------------------------------------------------------------------------------

  static io.lockstep.storage.v1.Item toProto(Item item) {
    io.lockstep.storage.v1.Item.Builder b = io.lockstep.storage.v1.Item.newBuilder()
        .setItemId(item.itemId())
        .setName(strings(item.nameRegister()))
        .setSku(strings(item.skuRegister()))
        .setPriceCents(longs(item.priceRegister()))
        .setStock(toProto(item.ledger()))
        .setVersion(toProto(item.version()));
    item.tombstones().forEach(t -> b.addTombstones(io.lockstep.storage.v1.Tombstone.newBuilder()
        .setDelete(toProto(t.delete()))
        .addAllRecreatedBy(t.recreatedBy().stream().map(MerchantStateCodec::toProto).toList())));
    return b.build();
  }

  static Item toDomain(io.lockstep.storage.v1.Item item) {
    return new Item(item.getItemId(), strings(item.getName()), strings(item.getSku()),
        longs(item.getPriceCents()), toDomain(item.getStock()),
        item.getTombstonesList().stream().map(t -> new Tombstone(toDomain(t.getDelete()),
            t.getRecreatedByList().stream().map(MerchantStateCodec::toDomain).toList())).toList(),
        toDomain(item.getVersion()));
  }

  private static StringRegister strings(Register<String> register) {
    StringRegister.Builder b = StringRegister.newBuilder();
    register.entries().forEach(e -> b.addEntries(
        StringEntry.newBuilder().setStamp(toProto(e.stamp())).setValue(e.value())));
    return b.build();
  }

  private static Register<String> strings(StringRegister register) {
    return new Register<>(register.getEntriesList().stream()
        .map(e -> new Register.Entry<>(toDomain(e.getStamp()), e.getValue())).toList());
  }

  private static LongRegister longs(Register<Long> register) {
    LongRegister.Builder b = LongRegister.newBuilder();
    register.entries().forEach(e -> b.addEntries(
        LongEntry.newBuilder().setStamp(toProto(e.stamp())).setValue(e.value())));
    return b.build();
  }

  private static Register<Long> longs(LongRegister register) {
    return new Register<>(register.getEntriesList().stream()
        .map(e -> new Register.Entry<>(toDomain(e.getStamp()), e.getValue())).toList());
  }

  private static io.lockstep.storage.v1.StockLedger toProto(StockLedger ledger) {
    io.lockstep.storage.v1.StockLedger.Builder b = io.lockstep.storage.v1.StockLedger.newBuilder()
        .setFoldedBase(ledger.foldedBase());
    ledger.deltas().forEach((dot, delta) -> b.addDeltas(StockDelta.newBuilder()
        .setDot(toProto(dot)).setAmount(delta.amount()).setHlc(delta.hlc().pack())));
    ledger.takes().forEach(t -> b.addTakes(io.lockstep.storage.v1.StockTake.newBuilder()
        .setStamp(toProto(t.stamp())).setBase(toProto(t.base())).setCount(t.count())
        .setUnseenFolded(t.unseenFolded())));
    return b.build();
  }

  private static StockLedger toDomain(io.lockstep.storage.v1.StockLedger ledger) {
    TreeMap<Dot, StockLedger.Delta> deltas = new TreeMap<>();
    ledger.getDeltasList().forEach(d -> deltas.put(toDomain(d.getDot()),
        new StockLedger.Delta(d.getAmount(), Hlc.unpack(d.getHlc()))));
    List<StockLedger.StockTake> takes = ledger.getTakesList().stream()
        .map(t -> new StockLedger.StockTake(toDomain(t.getStamp()), toDomain(t.getBase()),
            t.getCount(), t.getUnseenFolded()))
        .toList();
    return new StockLedger(ledger.getFoldedBase(), deltas, takes);
  }

  // ---- orders ---------------------------------------------------------------------------------

  static io.lockstep.storage.v1.Order toProto(Order order) {
    io.lockstep.storage.v1.Order.Builder b = io.lockstep.storage.v1.Order.newBuilder()
        .setOrderId(order.orderId())
        .setVersion(toProto(order.version()));
    order.openedBy().forEach(dot -> b.addOpenedBy(toProto(dot)));
    order.stateWrites().forEach(w -> b.addStateWrites(io.lockstep.storage.v1.StateWrite
        .newBuilder().setStamp(toProto(w.stamp())).setState(toProto(w.state()))
        .setBase(toProto(w.base()))));
    order.lineAdds().forEach(a -> b.addLineAdds(io.lockstep.storage.v1.LineAdd.newBuilder()
        .setLineId(a.lineId()).setStamp(toProto(a.stamp())).setItemId(a.itemId())
        .setQuantity(a.quantity()).setPriceCents(a.priceCents()).setRemoved(a.removed())));
    order.paymentAdds().forEach(p -> b.addPaymentAdds(io.lockstep.storage.v1.PaymentAdd
        .newBuilder().setPaymentId(p.paymentId()).setStamp(toProto(p.stamp()))
        .setAmountCents(p.amountCents())));
    return b.build();
  }

  static Order toDomain(io.lockstep.storage.v1.Order order) {
    return new Order(order.getOrderId(),
        order.getOpenedByList().stream().map(MerchantStateCodec::toDomain).toList(),
        order.getStateWritesList().stream().map(w -> new Order.StateWrite(
            toDomain(w.getStamp()), orderState(w), toDomain(w.getBase()))).toList(),
        order.getLineAddsList().stream().map(a -> new Order.LineAdd(a.getLineId(),
            toDomain(a.getStamp()), a.getItemId(), a.getQuantity(), a.getPriceCents(),
            a.getRemoved())).toList(),
        order.getPaymentAddsList().stream().map(p -> new Order.PaymentAdd(p.getPaymentId(),
            toDomain(p.getStamp()), p.getAmountCents())).toList(),
        toDomain(order.getVersion()));
  }

  private static io.lockstep.storage.v1.OrderState toProto(OrderState state) {
    return switch (state) {
      case OPEN -> io.lockstep.storage.v1.OrderState.ORDER_STATE_OPEN;
      case LOCKED -> io.lockstep.storage.v1.OrderState.ORDER_STATE_LOCKED;
      case VOIDED -> io.lockstep.storage.v1.OrderState.ORDER_STATE_VOIDED;
      case PAID -> io.lockstep.storage.v1.OrderState.ORDER_STATE_PAID;
      case REFUNDED -> io.lockstep.storage.v1.OrderState.ORDER_STATE_REFUNDED;
    };
  }

  /** A stored state write's state; one written by a newer version is an error, never a guess. */
  private static OrderState orderState(io.lockstep.storage.v1.StateWrite write) {
    return switch (write.getState()) {
      case ORDER_STATE_UNSPECIFIED, ORDER_STATE_OPEN -> OrderState.OPEN; // unspecified: the field missing
      case ORDER_STATE_LOCKED -> OrderState.LOCKED;
      case ORDER_STATE_VOIDED -> OrderState.VOIDED;
      case ORDER_STATE_PAID -> OrderState.PAID;
      case ORDER_STATE_REFUNDED -> OrderState.REFUNDED;
      case UNRECOGNIZED -> throw new IllegalArgumentException(
          "unknown stored order state " + write.getStateValue() + " (written by a newer version?)");
    };
  }

  // ---- small values ---------------------------------------------------------------------------

  private static io.lockstep.storage.v1.Stamp toProto(Stamp stamp) {
    return io.lockstep.storage.v1.Stamp.newBuilder()
        .setAuthority(switch (stamp.authority()) {
          case DEVICE -> io.lockstep.storage.v1.Authority.AUTHORITY_DEVICE;
          case SERVICE -> io.lockstep.storage.v1.Authority.AUTHORITY_SERVICE;
        })
        .setHlc(stamp.hlc().pack())
        .setDeviceId(stamp.deviceId())
        .setCounter(stamp.counter())
        .build();
  }

  private static Stamp toDomain(io.lockstep.storage.v1.Stamp stamp) {
    return new Stamp(authority(stamp), Hlc.unpack(stamp.getHlc()), stamp.getDeviceId(),
        stamp.getCounter());
  }

  /** A stored stamp's authority; one written by a newer version is an error, never a guess. */
  private static Authority authority(io.lockstep.storage.v1.Stamp stamp) {
    return switch (stamp.getAuthority()) {
      case AUTHORITY_UNSPECIFIED, AUTHORITY_DEVICE -> Authority.DEVICE; // unspecified: the field missing
      case AUTHORITY_SERVICE -> Authority.SERVICE;
      case UNRECOGNIZED -> throw new IllegalArgumentException(
          "unknown stored authority " + stamp.getAuthorityValue() + " (written by a newer version?)");
    };
  }

  private static io.lockstep.storage.v1.Dot toProto(Dot dot) {
    return io.lockstep.storage.v1.Dot.newBuilder().setDeviceId(dot.deviceId())
        .setCounter(dot.counter()).build();
  }

  private static Dot toDomain(io.lockstep.storage.v1.Dot dot) {
    return new Dot(dot.getDeviceId(), dot.getCounter());
  }

  private static io.lockstep.storage.v1.VersionVector toProto(VersionVector version) {
    return io.lockstep.storage.v1.VersionVector.newBuilder()
        .addAllCounters(counters(version.counters())).build();
  }

  private static VersionVector toDomain(io.lockstep.storage.v1.VersionVector version) {
    return VersionVector.of(counters(version.getCountersList()));
  }

  private static List<DeviceCounter> counters(Map<String, Long> counters) {
    return counters.entrySet().stream().map(e -> DeviceCounter.newBuilder()
        .setDeviceId(e.getKey()).setCounter(e.getValue()).build()).toList();
  }

  private static Map<String, Long> counters(List<DeviceCounter> counters) {
    TreeMap<String, Long> map = new TreeMap<>();
    counters.forEach(c -> map.merge(c.getDeviceId(), c.getCounter(), Math::max));
    return map;
  }

  private static io.lockstep.storage.v1.Conflict toProto(Conflict c) {
    return io.lockstep.storage.v1.Conflict.newBuilder()
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

  private static Conflict toDomain(io.lockstep.storage.v1.Conflict c) {
    return new Conflict(c.getSeq(), c.getRecordId(), c.getField(), c.getRule(),
        toDomain(c.getIncoming()), c.getIncomingValue(), toDomain(c.getExisting()),
        c.getExistingValue(), toDomain(c.getWinner()), c.getDetail());
  }
}
