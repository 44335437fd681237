package io.lockstep.serialization;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.lockstep.config.LimitSettings;
import io.lockstep.domain.Authority;
import io.lockstep.domain.MerchantState;
import io.lockstep.protocol.v1.AddLine;
import io.lockstep.protocol.v1.AddPayment;
import io.lockstep.protocol.v1.AdjustStock;
import io.lockstep.protocol.v1.DeleteItem;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.OpenOrder;
import io.lockstep.protocol.v1.RemoveLine;
import io.lockstep.protocol.v1.SetOrderState;
import io.lockstep.protocol.v1.SetStock;
import io.lockstep.protocol.v1.UpsertItem;
import io.lockstep.protocol.v1.VersionVector;
import io.lockstep.security.MutationLimits;

/**
 * Fuzzes the op validator: structurally valid wire mutations with hostile values (empty, long,
 * odd ids; extreme numbers; unknown enum values; random bases from several devices) through the
 * edge bounds, {@link DeviceProtocolMapper#toDomain} and {@link MerchantState#apply}, many in a
 * row against one state so merges, conflicts and order state machines are exercised. Only
 * {@link InvalidMutationException} may escape; {@code apply} never throws on bad input.
 */
class OpValidationFuzzTest {
  private static final MutationLimits BOUNDS = new MutationLimits(new LimitSettings(262144, 500, 256, 1000, 50, 1));
  private static final String[] DEVICES = {"a", "b", "c"};

  @FuzzTest(maxDuration = "60s")
  void applyMutations(FuzzedDataProvider data) {
    MerchantState state = MerchantState.empty();
    long seq = 0;
    int steps = data.consumeInt(1, 64);
    for (int i = 0; i < steps && data.remainingBytes() > 0; i++) {
      String device = DEVICES[data.consumeInt(0, DEVICES.length - 1)];
      Mutation wire = mutation(data);
      if (BOUNDS.problem(wire).isPresent()) continue; // refused at the edge
      Authority authority = data.consumeBoolean() ? Authority.DEVICE : Authority.SERVICE;
      try {
        state = state.apply(++seq, DeviceProtocolMapper.toDomain(device, authority, wire)).state();
      } catch (InvalidMutationException expected) {
        // a declared validation error
      }
    }
  }

  private static Mutation mutation(FuzzedDataProvider data) {
    Mutation.Builder m = Mutation.newBuilder().setCounter(data.consumeLong()).setHlc(data.consumeLong());
    VersionVector.Builder base = VersionVector.newBuilder();
    int entries = data.consumeInt(0, 4);
    for (int i = 0; i < entries; i++) base.putCounters(id(data), data.consumeLong());
    m.setBase(base);
    switch (data.consumeInt(0, 9)) {
      case 0 -> m.setAdjustStock(AdjustStock.newBuilder().setItemId(id(data)).setDelta(data.consumeLong()));
      case 1 -> m.setSetStock(SetStock.newBuilder().setItemId(id(data)).setCount(data.consumeLong()));
      case 2 -> {
        UpsertItem.Builder u = UpsertItem.newBuilder().setItemId(id(data));
        if (data.consumeBoolean()) u.setName(text(data));
        if (data.consumeBoolean()) u.setSku(text(data));
        if (data.consumeBoolean()) u.setPriceCents(data.consumeLong());
        m.setUpsertItem(u);
      }
      case 3 -> m.setDeleteItem(DeleteItem.newBuilder().setItemId(id(data)));
      case 4 -> m.setOpenOrder(OpenOrder.newBuilder().setOrderId(id(data)));
      case 5 -> m.setAddLine(AddLine.newBuilder().setOrderId(id(data)).setLineId(id(data)).setItemId(id(data))
          .setQuantity(data.consumeLong()).setPriceCents(data.consumeLong()));
      case 6 -> m.setRemoveLine(RemoveLine.newBuilder().setOrderId(id(data)).setLineId(id(data)));
      case 7 -> m.setSetOrderState(SetOrderState.newBuilder().setOrderId(id(data)).setStateValue(data.consumeInt(-1, 7)));
      case 8 -> m.setAddPayment(AddPayment.newBuilder().setOrderId(id(data)).setPaymentId(id(data))
          .setAmountCents(data.consumeLong()));
      default -> { } // no op
    }
    return m.build();
  }

  /** Mostly a few colliding ids, sometimes anything. */
  private static String id(FuzzedDataProvider data) {
    return data.consumeBoolean() ? "r" + data.consumeInt(0, 3) : data.consumeString(300);
  }

  private static String text(FuzzedDataProvider data) {
    return data.consumeString(300);
  }
}
