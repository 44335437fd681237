package io.lockstep.merchant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lockstep.domain.Authority;
import io.lockstep.domain.Conflict;
import io.lockstep.domain.DomainRecord;
import io.lockstep.domain.Dot;
import io.lockstep.domain.Item;
import io.lockstep.domain.Order;
import io.lockstep.domain.OrderLine;
import io.lockstep.domain.OrderState;
import io.lockstep.domain.Payment;
import io.lockstep.domain.VersionVector;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.storage.v1.MutationRecorded;
import io.lockstep.storage.v1.WriterAuthority;
import io.lockstep.testing.Mutations;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The event and the change written by hand from one encoding of the record are exactly what
 * protobuf writes for the messages built field by field (the way they were built before).
 */
class WrittenEventsTest {

  /** The stored event as protobuf's builders make it: the reference the hand-written bytes must equal. */
  private static MutationRecorded reference(long seq, String deviceId, Authority authority,
      io.lockstep.protocol.v1.Mutation wire, AckStatus status, DomainRecord record, Optional<Conflict> conflict, long now) {
    MutationRecorded.Builder b = MutationRecorded.newBuilder()
        .setSeq(seq)
        .setDeviceId(deviceId)
        .setAuthority(authority == Authority.SERVICE ? WriterAuthority.WRITER_SERVICE : WriterAuthority.WRITER_DEVICE)
        .setMutation(wire)
        .setStatus(status)
        .setRecordedAtMillis(now);
    if (record instanceof Item item) b.setItem(DeviceProtocolMapper.toProto(item));
    if (record instanceof Order order) b.setOrder(DeviceProtocolMapper.toProto(order));
    conflict.ifPresent(c -> b.setConflict(DeviceProtocolMapper.toProto(c)));
    return b.build();
  }

  @Property(tries = 500)
  void theEventAndTheChangeAreWhatProtobufWrites(
      @ForAll("seqs") long seq, @ForAll("ids") String deviceId, @ForAll boolean service, @ForAll boolean rejected,
      @ForAll("records") DomainRecord record, @ForAll("conflicts") Optional<Conflict> conflict,
      @ForAll("seqs") long counter, @ForAll long now) {
    io.lockstep.protocol.v1.Mutation wire = Mutations.restock(counter, record.recordId());
    Authority authority = service ? Authority.SERVICE : Authority.DEVICE;
    AckStatus status = rejected ? AckStatus.REJECTED : AckStatus.ACCEPTED;

    WrittenEvents.Written written = WrittenEvents.encode(seq, deviceId, authority, wire, status, record, conflict, now);

    MutationRecorded expected = reference(seq, deviceId, authority, wire, status, record, conflict, now);
    assertArrayEquals(expected.toByteArray(), written.event(), "the stored event");
    assertArrayEquals(ChangeFrames.toChange(expected).toByteArray(), written.change().change(), "the change");
    assertEquals(seq, written.change().seq());
    assertEquals(expected, Recorded.encoded(seq, written.event()).proto(), "decodes to the reference");
  }

  @Property(tries = 500)
  void theChangeWrittenFromStoredBytesIsTheChangeOfTheDecodedEvent(
      @ForAll("seqs") long seq, @ForAll("ids") String deviceId, @ForAll boolean rejected,
      @ForAll("records") DomainRecord record, @ForAll("conflicts") Optional<Conflict> conflict,
      @ForAll("seqs") long counter, @ForAll long now,
      @ForAll boolean withStatus, @ForAll boolean withMutation, @ForAll boolean withRecord) throws Exception {
    io.lockstep.protocol.v1.Mutation wire = Mutations.restock(counter, record.recordId());
    MutationRecorded.Builder b = reference(seq, deviceId, Authority.DEVICE, wire,
        rejected ? AckStatus.REJECTED : AckStatus.ACCEPTED, record, conflict, now).toBuilder();
    if (!withStatus) b.clearStatus(); // events written before the field
    if (!withMutation) b.clearMutation();
    if (!withRecord) b.clearRecord();
    MutationRecorded event = b.build();
    byte[] stored = event.toByteArray();

    ChangeFrames.Encoded fromBytes = ChangeFrames.encodeStored(stored);
    assertArrayEquals(ChangeFrames.encode(event).change(), fromBytes.change());
    assertEquals(seq, fromBytes.seq());
    Recorded read = Recorded.stored(stored);
    assertEquals(seq, read.seq(), "the seq without decoding");
    assertEquals(event, read.proto());
  }

  @org.junit.jupiter.api.Test
  void aFieldWrittenTwiceIsMergedAsTheDecoderMergesIt() throws Exception {
    MutationRecorded first = reference(3, "till", Authority.DEVICE, Mutations.restock(7, "a"), AckStatus.ACCEPTED,
        null, Optional.empty(), 1);
    MutationRecorded second = MutationRecorded.newBuilder().setMutation(Mutations.restock(0, "b")).build();
    byte[] twice = new byte[first.getSerializedSize() + second.getSerializedSize()];
    System.arraycopy(first.toByteArray(), 0, twice, 0, first.getSerializedSize());
    System.arraycopy(second.toByteArray(), 0, twice, first.getSerializedSize(), second.getSerializedSize());
    assertArrayEquals(ChangeFrames.encode(MutationRecorded.parseFrom(twice)).change(), ChangeFrames.encodeStored(twice).change());
  }

  @org.junit.jupiter.api.Test
  void theOldestStoredEventGivesTheChangeItsDecodingGives() throws Exception {
    byte[] v0;
    try (java.io.InputStream in = WrittenEventsTest.class.getResourceAsStream("/events/mutation-recorded-v0.bin")) {
      v0 = in.readAllBytes();
    }
    assertArrayEquals(ChangeFrames.encode(MutationRecorded.parseFrom(v0)).change(), ChangeFrames.encodeStored(v0).change());
  }

  @Provide
  Arbitrary<Long> seqs() {
    return Arbitraries.oneOf(Arbitraries.longs().between(0, 300), Arbitraries.longs().greaterOrEqual(0));
  }

  @Provide
  Arbitrary<String> ids() {
    return Arbitraries.oneOf(
        Arbitraries.strings().alpha().ofMinLength(0).ofMaxLength(12),
        Arbitraries.strings().ofMinLength(0).ofMaxLength(200)); // any code point, lengths past one varint byte
  }

  private Arbitrary<VersionVector> versions() {
    return Arbitraries.maps(Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20),
            Arbitraries.longs().between(1, Long.MAX_VALUE))
        .ofMinSize(0).ofMaxSize(60)
        .map(m -> VersionVector.of(new TreeMap<>(m)));
  }

  @Provide
  Arbitrary<DomainRecord> records() {
    Arbitrary<DomainRecord> items = Combinators.combine(
            ids().filter(s -> !s.isEmpty()), ids(), ids(), Arbitraries.longs(), Arbitraries.longs(),
            Arbitraries.of(true, false), versions())
        .as((id, name, sku, price, stock, deleted, version) ->
            Item.resolved(id, name, sku, price, stock, deleted, version));
    Arbitrary<DomainRecord> orders = Combinators.combine(
            ids().filter(s -> !s.isEmpty()), Arbitraries.of(OrderState.class), Arbitraries.longs().between(0, 5), versions())
        .as((id, state, lines, version) -> Order.resolved(id, state,
            java.util.stream.LongStream.range(0, lines).mapToObj(i -> new OrderLine("l" + i, "i" + i, i + 1, 100 * i)).toList(),
            lines > 2 ? List.of(new Payment("p", 250)) : List.of(), version));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, items), net.jqwik.api.Tuple.of(1, orders), net.jqwik.api.Tuple.of(1, items.map(r -> Item.absent(r.recordId()))));
  }

  @Provide
  Arbitrary<Optional<Conflict>> conflicts() {
    Arbitrary<Conflict> conflict = Combinators.combine(Arbitraries.longs().between(1, 1000), ids(), ids())
        .as((seq, field, value) -> new Conflict(seq, "r", field, "lww", new Dot("a", 1), value,
            new Dot("b", 2), "", new Dot("b", 2), "kept the later write"));
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, Arbitraries.just(Optional.<Conflict>empty())),
        net.jqwik.api.Tuple.of(1, conflict.map(Optional::of)));
  }

}
