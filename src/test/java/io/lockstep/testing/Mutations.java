package io.lockstep.testing;

import io.lockstep.protocol.v1.AddLine;
import io.lockstep.protocol.v1.AdjustStock;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.OpenOrder;
import io.lockstep.protocol.v1.UpsertItem;
import io.lockstep.protocol.v1.VersionVector;
import java.util.Map;

/** Builds wire mutations for tests, with a fixed HLC so nothing depends on the wall clock. */
public final class Mutations {
  private Mutations() {}

  public static final long HLC = 1_700_000_000_000L << 16;

  public static VersionVector base(Map<String, Long> counters) {
    return VersionVector.newBuilder().putAllCounters(counters).build();
  }

  public static Mutation upsertItem(long counter, String itemId, String name, long priceCents) {
    return Mutation.newBuilder().setCounter(counter).setHlc(HLC + counter)
        .setUpsertItem(UpsertItem.newBuilder().setItemId(itemId).setName(name).setSku("SKU-" + itemId).setPriceCents(priceCents))
        .build();
  }

  public static Mutation adjustStock(long counter, String itemId, long delta, VersionVector base) {
    return Mutation.newBuilder().setCounter(counter).setHlc(HLC + counter).setBase(base)
        .setAdjustStock(AdjustStock.newBuilder().setItemId(itemId).setDelta(delta))
        .build();
  }

  public static Mutation openOrder(long counter, String orderId) {
    return Mutation.newBuilder().setCounter(counter).setHlc(HLC + counter)
        .setOpenOrder(OpenOrder.newBuilder().setOrderId(orderId))
        .build();
  }

  public static Mutation addLine(long counter, String orderId, String lineId, String itemId, long quantity) {
    return Mutation.newBuilder().setCounter(counter).setHlc(HLC + counter)
        .setAddLine(AddLine.newBuilder().setOrderId(orderId).setLineId(lineId).setItemId(itemId).setQuantity(quantity).setPriceCents(100))
        .build();
  }

  /** Restocks by one; no conflict whatever the base. */
  public static Mutation restock(long counter, String itemId) {
    return adjustStock(counter, itemId, 1, VersionVector.getDefaultInstance());
  }

  /** A mutation with no op set: structurally invalid. */
  public static Mutation noOp(long counter) {
    return Mutation.newBuilder().setCounter(counter).setHlc(HLC + counter).build();
  }
}
