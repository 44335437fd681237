package io.lockstep.merchant;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.lockstep.domain.Authority;
import io.lockstep.domain.Conflict;
import io.lockstep.domain.DomainRecord;
import io.lockstep.domain.Item;
import io.lockstep.domain.Order;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.storage.v1.MutationRecorded;
import io.lockstep.storage.v1.WriterAuthority;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;

/**
 * A resolved mutation encoded once, in the two forms it leaves the entity in: the stored event
 * ({@link MutationRecorded}, what the journal writes) and the {@link Change} devices get. Both hold
 * the same record and mutation, so each is encoded once and its bytes are written into both; the
 * record (an item with a version vector of one entry per device that wrote it) is written straight
 * from the domain object, without building its protobuf message. The bytes are exactly what
 * protobuf writes for the event built field by field and for {@link ChangeFrames#toChange} of it
 * ({@code WrittenEventsTest}).
 */
final class WrittenEvents {
  private WrittenEvents() {}

  /** What one stored mutation leaves: the event as stored, and as devices get it. */
  record Written(byte[] event, ChangeFrames.Encoded change) {}

  static Written encode(
      long seq,
      String deviceId,
      Authority authority,
      io.lockstep.protocol.v1.Mutation wire,
      AckStatus status,
      DomainRecord record,
      Optional<Conflict> conflict,
      long nowMillis) {
    byte[] mutation = wire.toByteArray();
    byte[] recordBytes = record instanceof Item item ? item(item)
        : record instanceof Order order ? DeviceProtocolMapper.toProto(order).toByteArray() : null;
    byte[] conflictBytes = conflict.map(c -> DeviceProtocolMapper.toProto(c).toByteArray()).orElse(null);
    boolean isItem = record instanceof Item;
    int authorityValue = (authority == Authority.SERVICE ? WriterAuthority.WRITER_SERVICE : WriterAuthority.WRITER_DEVICE).getNumber();

    // MutationRecorded: seq 1, device_id 2, authority 3, mutation 4, status 5, item 6 | order 7, conflict 8, recorded_at_millis 9
    Writer event = new Writer();
    event.uint64(1, seq).string(2, deviceId).enumeration(3, authorityValue).bytes(4, mutation)
        .enumeration(5, status.getNumber()).bytes(isItem ? 6 : 7, recordBytes).bytes(8, conflictBytes).int64(9, nowMillis);
    // Change: seq 1, device_id 2, counter 3, mutation 4, item 5 | order 6, conflict 7, status 8
    Writer change = new Writer();
    change.uint64(1, seq).string(2, deviceId).uint64(3, wire.getCounter()).bytes(4, mutation)
        .bytes(isItem ? 5 : 6, recordBytes).bytes(7, conflictBytes).enumeration(8, status.getNumber());
    return new Written(event.toBytes(), new ChangeFrames.Encoded(seq, change.toBytes()));
  }

  /** The wire {@code Item} (item_id 1, name 2, sku 3, price_cents 4, stock 5, deleted 6, version 7). */
  static byte[] item(Item item) {
    Map<String, Long> counters = item.version().counters();
    int version = 0;
    for (Map.Entry<String, Long> c : counters.entrySet()) version += ChangeFrames.delimitedSize(1, counterEntrySize(c));
    Writer w = new Writer();
    w.string(1, item.itemId()).string(2, item.name()).string(3, item.sku()).int64(4, item.priceCents())
        .sint64(5, item.stock()).bool(6, item.deleted()).message(7, version);
    int size = w.size + version;
    byte[] bytes = new byte[size];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      w.writeTo(out);
      // version: map<string, uint64> counters = 1, each entry a message of key 1 and value 2
      for (Map.Entry<String, Long> c : counters.entrySet()) {
        out.writeTag(1, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(counterEntrySize(c));
        out.writeString(1, c.getKey());
        out.writeUInt64(2, c.getValue());
      }
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("sized wrongly", e); // cannot happen: the array is sized exactly
    }
    return bytes;
  }

  private static int counterEntrySize(Map.Entry<String, Long> c) {
    return CodedOutputStream.computeStringSize(1, c.getKey()) + CodedOutputStream.computeUInt64Size(2, c.getValue());
  }

  /**
   * The fields of one message in field order, with proto3's implicit presence: a scalar at its
   * default is not written, a message or a {@code oneof} member that is set always is.
   */
  private static final class Writer {
    private final Object[] values = new Object[10];
    private final int[] fields = new int[10];
    private final byte[] kinds = new byte[10];
    private int count;
    private int size;

    private static final byte UINT64 = 0, INT64 = 1, SINT64 = 2, ENUM = 3, BOOL = 4, STRING = 5, BYTES = 6, HEADER = 7;

    private Writer add(int field, byte kind, Object value, int fieldSize) {
      fields[count] = field;
      kinds[count] = kind;
      values[count++] = value;
      size += fieldSize;
      return this;
    }

    Writer uint64(int field, long v) {
      return v == 0 ? this : add(field, UINT64, v, CodedOutputStream.computeUInt64Size(field, v));
    }

    Writer int64(int field, long v) {
      return v == 0 ? this : add(field, INT64, v, CodedOutputStream.computeInt64Size(field, v));
    }

    Writer sint64(int field, long v) {
      return v == 0 ? this : add(field, SINT64, v, CodedOutputStream.computeSInt64Size(field, v));
    }

    Writer enumeration(int field, int v) {
      return v == 0 ? this : add(field, ENUM, v, CodedOutputStream.computeEnumSize(field, v));
    }

    Writer bool(int field, boolean v) {
      return v ? add(field, BOOL, true, CodedOutputStream.computeBoolSize(field, true)) : this;
    }

    Writer string(int field, String v) {
      return v.isEmpty() ? this : add(field, STRING, v, CodedOutputStream.computeStringSize(field, v));
    }

    /** An encoded message (absent when null). */
    Writer bytes(int field, byte[] v) {
      return v == null ? this : add(field, BYTES, v, ChangeFrames.delimitedSize(field, v.length));
    }

    /** The tag and length of a message of {@code length} bytes the caller writes after these fields. */
    Writer message(int field, int length) {
      return add(field, HEADER, length, ChangeFrames.delimitedSize(field, length) - length);
    }

    void writeTo(CodedOutputStream out) throws IOException {
      for (int i = 0; i < count; i++) {
        int f = fields[i];
        Object v = values[i];
        switch (kinds[i]) {
          case UINT64 -> out.writeUInt64(f, (Long) v);
          case INT64 -> out.writeInt64(f, (Long) v);
          case SINT64 -> out.writeSInt64(f, (Long) v);
          case ENUM -> out.writeEnum(f, (Integer) v);
          case BOOL -> out.writeBool(f, true);
          case STRING -> out.writeString(f, (String) v);
          case BYTES -> ChangeFrames.writeDelimited(out, f, (byte[]) v);
          default -> {
            out.writeTag(f, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt32NoTag((Integer) v);
          }
        }
      }
    }

    byte[] toBytes() {
      byte[] bytes = new byte[size];
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      try {
        writeTo(out);
        out.checkNoSpaceLeft();
      } catch (IOException e) {
        throw new UncheckedIOException("sized wrongly", e); // cannot happen: the array is sized exactly
      }
      return bytes;
    }
  }
}
