package io.lockstep.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lockstep.domain.Authority;
import io.lockstep.domain.Conflict;
import io.lockstep.domain.Dot;
import io.lockstep.domain.Hlc;
import io.lockstep.domain.Item;
import io.lockstep.domain.MerchantState;
import io.lockstep.domain.Mutation;
import io.lockstep.domain.Op;
import io.lockstep.domain.Order;
import io.lockstep.domain.OrderLine;
import io.lockstep.domain.OrderState;
import io.lockstep.domain.Payment;
import io.lockstep.domain.VersionVector;
import io.lockstep.protocol.v1.AddLine;
import io.lockstep.protocol.v1.Change;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class DeviceProtocolMapperTest {

  private static final VersionVector BASE = VersionVector.of(Map.of("pos-1", 4L, "svc", 2L));

  static List<Op> everyOp() {
    return List.of(
        new Op.AdjustStock("latte", -3),
        new Op.SetStock("latte", 12),
        new Op.UpsertItem("latte", "Latte", "LAT-1", 450L),
        new Op.UpsertItem("latte", null, "LAT-2", null),
        new Op.UpsertItem("latte", "", null, 0L),
        new Op.DeleteItem("latte"),
        new Op.OpenOrder("o1"),
        new Op.AddLine("o1", "l1", "latte", 2, 450),
        new Op.RemoveLine("o1", "l1"),
        new Op.SetOrderState("o1", OrderState.VOIDED),
        new Op.AddPayment("o1", "card-1", 900));
  }

  @ParameterizedTest
  @MethodSource("everyOp")
  void mutationRoundTrips(Op op) throws Exception {
    Mutation m = new Mutation(new Dot("pos-1", 5), BASE, new Hlc(1_700_000_000_000L, 3),
        Authority.DEVICE, op);
    byte[] wire = DeviceProtocolMapper.toProto(m).toByteArray();
    Mutation back = DeviceProtocolMapper.toDomain("pos-1", Authority.DEVICE,
        io.lockstep.protocol.v1.Mutation.parseFrom(wire));
    assertEquals(m, back);
  }

  @ParameterizedTest
  @EnumSource(OrderState.class)
  void orderStateRoundTrips(OrderState state) {
    assertEquals(state, DeviceProtocolMapper.toDomain(DeviceProtocolMapper.toProto(state)));
  }

  @Test
  void resolvedRecordsRoundTripToTheResolvedView() {
    MerchantState state = MerchantState.empty();
    state = state.apply(1, new Mutation(new Dot("a", 1), VersionVector.EMPTY, new Hlc(1, 0),
        Authority.DEVICE, new Op.UpsertItem("latte", "Latte", "LAT", 450L))).state();
    state = state.apply(2, new Mutation(new Dot("a", 2), VersionVector.of(Map.of("a", 1L)),
        new Hlc(2, 0), Authority.DEVICE, new Op.AdjustStock("latte", -2))).state();
    Item item = state.items().get("latte");
    assertEquals(item.resolvedView(), DeviceProtocolMapper.toDomain(DeviceProtocolMapper.toProto(
        item)));
    assertEquals(-2, DeviceProtocolMapper.toProto(item).getStock());

    Order order = Order.resolved("o1", OrderState.PAID,
        List.of(new OrderLine("l2", "cookie", 1, 250), new OrderLine("l1", "latte", 2, 450)),
        List.of(new Payment("p1", 1150)), BASE);
    io.lockstep.protocol.v1.Order wire = DeviceProtocolMapper.toProto(order);
    assertEquals("l1", wire.getLines(0).getLineId());
    assertEquals(order, DeviceProtocolMapper.toDomain(wire));
    Change change = DeviceProtocolMapper.withRecord(Change.newBuilder().setSeq(7), order).build();
    assertEquals(order, DeviceProtocolMapper.recordOf(change));
  }

  @Test
  void conflictAndVectorRoundTrip() {
    Conflict conflict = new Conflict(9, "latte", "priceCents", "register-highest-stamp",
        new Dot("b", 1), "500", new Dot("svc", 1), "480", new Dot("svc", 1), "svc wins");
    assertEquals(conflict, DeviceProtocolMapper.toDomain(DeviceProtocolMapper.toProto(conflict)));
    assertEquals(BASE, DeviceProtocolMapper.toDomain(DeviceProtocolMapper.toProto(BASE)));
  }

  @Test
  void structurallyBadMutationsAreNamed() {
    io.lockstep.protocol.v1.Mutation noOp = io.lockstep.protocol.v1.Mutation.newBuilder()
        .setCounter(3).build();
    assertEquals("mutation 3 has no op (missing, or unknown to this server)", invalid(noOp));
    assertEquals("empty add_line.line_id", invalid(noOp.toBuilder()
        .setAddLine(AddLine.newBuilder().setOrderId("o1").setItemId("x")).build()));
    assertEquals("counter must be between 1 and 2^63-1: 0", invalid(noOp.toBuilder()
        .setCounter(0).build()));
    assertEquals("set_order_state.state: unspecified or unknown order state 0",
        invalid(noOp.toBuilder().setSetOrderState(io.lockstep.protocol.v1.SetOrderState
            .newBuilder().setOrderId("o1")).build()));
    assertEquals("version vector counter of x above 2^63-1: 18446744073709551615",
        invalid(noOp.toBuilder().setOpenOrder(io.lockstep.protocol.v1.OpenOrder.newBuilder()
            .setOrderId("o1")).setBase(io.lockstep.protocol.v1.VersionVector.newBuilder()
            .putCounters("x", -1L)).build()));
  }

  @Test
  void anOrderStateUnknownToThisServerIsInvalidNotAnotherState() {
    io.lockstep.protocol.v1.Mutation newer = io.lockstep.protocol.v1.Mutation.newBuilder().setCounter(4)
        .setSetOrderState(io.lockstep.protocol.v1.SetOrderState.newBuilder().setOrderId("o1").setStateValue(9))
        .build();
    assertEquals("set_order_state.state: unspecified or unknown order state 9", invalid(newer));
    io.lockstep.protocol.v1.Order order = io.lockstep.protocol.v1.Order.newBuilder().setOrderId("o1")
        .setStateValue(9).build();
    assertEquals("order.state: unspecified or unknown order state 9",
        assertThrows(InvalidMutationException.class, () -> DeviceProtocolMapper.toDomain(order)).getMessage());
    assertThrows(InvalidMutationException.class,
        () -> DeviceProtocolMapper.toDomain(io.lockstep.protocol.v1.OrderState.UNRECOGNIZED));
  }

  private static String invalid(io.lockstep.protocol.v1.Mutation m) {
    return assertThrows(InvalidMutationException.class,
        () -> DeviceProtocolMapper.toDomain("pos-1", Authority.DEVICE, m)).getMessage();
  }
}
