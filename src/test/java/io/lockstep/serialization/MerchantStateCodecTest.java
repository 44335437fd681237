package io.lockstep.serialization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.domain.Authority;
import io.lockstep.domain.Dot;
import io.lockstep.domain.Hlc;
import io.lockstep.domain.MerchantState;
import io.lockstep.domain.Mutation;
import io.lockstep.domain.Op;
import io.lockstep.domain.OrderState;
import io.lockstep.domain.VersionVector;
import io.lockstep.storage.v1.MerchantSnapshot;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class MerchantStateCodecTest {

  /** A state that holds every kind of metadata: registers, deltas, takes, tombstones, state writes,
   * line and payment adds (one hidden by a concurrent payment), conflicts and counters. */
  static MerchantState richState() {
    VersionVector none = VersionVector.EMPTY;
    List<Mutation> history = List.of(
        m("a", 1, none, Authority.DEVICE, new Op.UpsertItem("latte", "Latte", "LAT", 450L)),
        m("a", 2, vv("a", 1), Authority.DEVICE, new Op.AdjustStock("latte", 5)),
        m("b", 1, vv("a", 1), Authority.DEVICE, new Op.SetStock("latte", 9)),
        m("svc", 1, vv("a", 1), Authority.SERVICE, new Op.UpsertItem("latte", "Latte!", null,
            null)),
        m("c", 1, vv("a", 2), Authority.DEVICE, new Op.DeleteItem("latte")),
        m("a", 3, vv("a", 2), Authority.DEVICE, new Op.UpsertItem("latte", null, null, 500L)),
        m("a", 4, none, Authority.DEVICE, new Op.OpenOrder("o1")),
        m("a", 5, vv("a", 4), Authority.DEVICE, new Op.AddLine("o1", "l1", "latte", 2, 450)),
        m("b", 2, vv("a", 5), Authority.DEVICE, new Op.RemoveLine("o1", "l1")),
        m("a", 6, vv("a", 5), Authority.DEVICE, new Op.AddPayment("o1", "p1", 900)),
        m("a", 7, vv("a", 6), Authority.DEVICE, new Op.SetOrderState("o1", OrderState.PAID)),
        m("c", 2, vv("a", 5), Authority.DEVICE, new Op.AddLine("o1", "l2", "latte", 1, 450)));
    MerchantState state = MerchantState.empty(50);
    for (Mutation mutation : history) {
      state = state.apply(state.headSeq() + 1, mutation).state();
    }
    return state;
  }

  private static Mutation m(String device, long counter, VersionVector base, Authority authority,
      Op op) {
    return new Mutation(new Dot(device, counter), base, new Hlc(1000 + counter, 0), authority, op);
  }

  private static VersionVector vv(String device, long counter) {
    return VersionVector.of(Map.of(device, counter));
  }

  @Example
  void everyKindOfMetadataRoundTrips() {
    MerchantState state = richState();
    assertTrue(state.conflicts().size() >= 4, () -> "conflicts: " + state.conflicts());
    assertTrue(state.items().get("latte").deleted());
    assertEquals(2, state.orders().get("o1").lineAdds().size());
    byte[] bytes = MerchantStateCodec.toBytes(state);
    MerchantState back = MerchantStateCodec.fromBytes(bytes);
    assertEquals(state, back);
    assertArrayEquals(bytes, MerchantStateCodec.toBytes(back));
    assertEquals(50, back.conflictCapacity());
  }

  @Property(tries = 200)
  void randomHistoriesRoundTrip(@ForAll long seed, @ForAll @IntRange(min = 0, max = 30) int size) {
    MerchantState state = io.lockstep.domain.Histories.random(new Random(seed), size);
    byte[] bytes = MerchantStateCodec.toBytes(state);
    MerchantState back = MerchantStateCodec.fromBytes(bytes);
    assertEquals(state, back, () -> "seed " + seed);
    assertArrayEquals(bytes, MerchantStateCodec.toBytes(back), () -> "seed " + seed);
  }

  @Example
  void anEmptyOrOlderSnapshotDecodesToDefaults() {
    MerchantState empty = MerchantStateCodec.fromBytes(new byte[0]);
    assertEquals(MerchantState.empty(), empty);
    assertEquals(MerchantState.DEFAULT_CONFLICT_CAPACITY, empty.conflictCapacity());
    byte[] zeroCapacity = MerchantSnapshot.newBuilder().setConflictCapacity(0).build()
        .toByteArray();
    assertEquals(0, MerchantStateCodec.fromBytes(zeroCapacity).conflictCapacity());
  }

  @Example
  void unknownFieldsFromANewerWriterAreIgnored() {
    MerchantState state = richState();
    ByteArrayOutputStream newer = new ByteArrayOutputStream();
    newer.writeBytes(MerchantStateCodec.toBytes(state));
    newer.write((99 << 3)); // field 99, varint
    newer.write(42);
    assertEquals(state, MerchantStateCodec.fromBytes(newer.toByteArray()));
  }

  @Example
  void anOrderStateFromANewerWriterIsAnErrorNamingItNotOpen() {
    MerchantSnapshot snapshot = MerchantStateCodec.toProto(richState());
    MerchantSnapshot.Builder newer = snapshot.toBuilder();
    newer.getOrdersBuilder(0).getStateWritesBuilder(0).setStateValue(9);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MerchantStateCodec.fromBytes(newer.build().toByteArray()));
    assertTrue(e.getMessage().contains("order state 9"), e.getMessage());
  }

  @Example
  void anAuthorityFromANewerWriterIsAnErrorNamingItNotDevice() {
    MerchantSnapshot.Builder newer = MerchantStateCodec.toProto(richState()).toBuilder();
    newer.getOrdersBuilder(0).getStateWritesBuilder(0).getStampBuilder().setAuthorityValue(7);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MerchantStateCodec.fromBytes(newer.build().toByteArray()));
    assertTrue(e.getMessage().contains("authority 7"), e.getMessage());
  }

  @Example
  void garbageIsAnIllegalArgument() {
    assertThrows(IllegalArgumentException.class,
        () -> MerchantStateCodec.fromBytes(new byte[] {(byte) 0xFF, 1, 2}));
  }
}
