package io.lockstep.merchant;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.lockstep.domain.MerchantState;
import io.lockstep.merchant.MerchantEntity.Frame;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.Changes;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.protocol.v1.Snapshot;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.storage.v1.MutationRecorded;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The device-facing encoding of what a merchant stored: a stored event as a {@link Change}, and
 * changes or a whole state as encoded {@link Frame}s, built once and sent as the same bytes to
 * every subscriber.
 */
public final class ChangeFrames {
  private ChangeFrames() {}

  /**
   * One stored mutation as devices get it: its {@link Change}, encoded once when it is stored.
   * The change window keeps these (one array per change, where a {@code Change} is a tree of a
   * dozen objects that lived for minutes: the bulk of what each young collection copied), and
   * frames are joined from them without decoding.
   */
  record Encoded(long seq, byte[] change) {}

  /**
   * The device-facing form of a stored event given as the bytes the journal holds, written field
   * by field from them without decoding the event: the same bytes as {@link #encode} of the
   * decoded event, for every event this version or an earlier one wrote ({@code WrittenEventsTest}).
   * The mutation, record and conflict are copied as they are. A field written twice (which no
   * writer here does, but protobuf allows) is left to the decoder.
   */
  static Encoded encodeStored(byte[] stored) {
    try {
      CodedInputStream in = CodedInputStream.newInstance(stored);
      long seq = 0;
      int status = 0;
      int[] from = new int[10]; // per MutationRecorded field: where its bytes start, or 0 when absent
      int[] length = new int[10];
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        int field = WireFormat.getTagFieldNumber(tag);
        if (tag == (1 << 3 | WireFormat.WIRETYPE_VARINT)) {
          seq = in.readUInt64();
        } else if (tag == (5 << 3 | WireFormat.WIRETYPE_VARINT)) {
          status = in.readEnum();
        } else if (field >= 2 && field <= 8 && field != 3 && field != 5
            && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          if (from[field] != 0) return encode(MutationRecorded.parseFrom(stored)); // merged by the decoder
          length[field] = in.readRawVarint32();
          from[field] = in.getTotalBytesRead();
          in.skipRawBytes(length[field]);
        } else {
          in.skipField(tag);
        }
      }
      if (from[6] != 0 && from[7] != 0) return encode(MutationRecorded.parseFrom(stored)); // oneof: the last wins
      AckStatus changeStatus = switch (status) {
        case 0, 1 -> AckStatus.ACCEPTED;
        case 3 -> AckStatus.REJECTED;
        default -> throw new IllegalArgumentException(
            "event " + seq + ": status " + status + " is never stored (written by a newer version?)");
      };
      long counter = from[4] == 0 ? 0 : field1(stored, from[4], length[4]);
      int recordField = from[6] != 0 ? 6 : from[7] != 0 ? 7 : 0;
      // Change: seq 1, device_id 2, counter 3, mutation 4 (always: toChange sets it), item 5 | order 6, conflict 7, status 8
      int size = (seq == 0 ? 0 : CodedOutputStream.computeUInt64Size(1, seq))
          + (length[2] == 0 ? 0 : delimitedSize(2, length[2]))
          + (counter == 0 ? 0 : CodedOutputStream.computeUInt64Size(3, counter))
          + delimitedSize(4, length[4])
          + (recordField == 0 ? 0 : delimitedSize(recordField - 1, length[recordField]))
          + (from[8] == 0 ? 0 : delimitedSize(7, length[8]))
          + CodedOutputStream.computeEnumSize(8, changeStatus.getNumber());
      byte[] change = new byte[size];
      CodedOutputStream out = CodedOutputStream.newInstance(change);
      if (seq != 0) out.writeUInt64(1, seq);
      if (length[2] != 0) writeDelimited(out, 2, stored, from[2], length[2]);
      if (counter != 0) out.writeUInt64(3, counter);
      writeDelimited(out, 4, stored, from[4], length[4]);
      if (recordField != 0) writeDelimited(out, recordField - 1, stored, from[recordField], length[recordField]);
      if (from[8] != 0) writeDelimited(out, 7, stored, from[8], length[8]);
      out.writeEnum(8, changeStatus.getNumber());
      out.checkNoSpaceLeft();
      return new Encoded(seq, change);
    } catch (IOException e) {
      throw new IllegalStateException("a stored event does not decode", e);
    }
  }

  /**
   * The last value of varint field 1 of the encoded message at {@code bytes[from, from + length)}
   * (a {@code Mutation}'s counter, a {@code MutationRecorded}'s seq), 0 when it is absent.
   */
  static long field1(byte[] bytes, int from, int length) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes, from, length);
    long value = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == (1 << 3 | WireFormat.WIRETYPE_VARINT)) value = in.readUInt64();
      else in.skipField(tag);
    }
    return value;
  }

  private static void writeDelimited(CodedOutputStream out, int field, byte[] bytes, int from, int length) throws IOException {
    out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    out.writeUInt32NoTag(length);
    out.writeRawBytes(bytes, from, length);
  }

  /** The device-facing form of {@code event}, encoded. */
  static Encoded encode(MutationRecorded event) {
    return new Encoded(event.getSeq(), toChange(event).toByteArray());
  }

  /**
   * {@code changes} (in seq order) in frames of at most {@code perFrame} changes: each frame the
   * bytes of a {@code ServerFrame} holding one {@code Changes}, written field by field from the
   * encoded changes (the same bytes protobuf writes for the message built from them).
   */
  static List<Frame> changeFrames(List<Encoded> changes, int perFrame) {
    List<Frame> frames = new ArrayList<>((changes.size() + perFrame - 1) / perFrame);
    for (int from = 0; from < changes.size(); from += perFrame) {
      List<Encoded> part = changes.subList(from, Math.min(changes.size(), from + perFrame));
      frames.add(new Frame(Frame.Kind.CHANGES, part.get(0).seq(), part.get(part.size() - 1).seq(), changesFrame(part)));
    }
    return frames;
  }

  /** The bytes of a {@code ServerFrame} holding one {@code Changes} of {@code part}, in order. */
  static byte[] changesFrame(List<Encoded> part) {
    int inner = 0;
    for (Encoded change : part) inner += delimitedSize(Changes.CHANGES_FIELD_NUMBER, change.change().length);
    byte[] frame = new byte[delimitedSize(ServerFrame.CHANGES_FIELD_NUMBER, inner)];
    CodedOutputStream out = CodedOutputStream.newInstance(frame);
    try {
      out.writeTag(ServerFrame.CHANGES_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
      out.writeUInt32NoTag(inner);
      for (Encoded change : part) writeDelimited(out, Changes.CHANGES_FIELD_NUMBER, change.change());
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("sized wrongly", e); // cannot happen: the array is sized exactly
    }
    return frame;
  }

  /** The encoded size of field {@code field} holding {@code length} bytes of an encoded message. */
  static int delimitedSize(int field, int length) {
    return CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag(length) + length;
  }

  /** Writes field {@code field} holding the encoded message {@code message} as it is. */
  static void writeDelimited(CodedOutputStream out, int field, byte[] message) throws IOException {
    writeDelimited(out, field, message, 0, message.length);
  }

  /** {@code state} at its head seq in snapshot chunks of at most {@code perChunk} records. */
  static List<Frame> snapshotFrames(MerchantState state, int perChunk) {
    List<io.lockstep.protocol.v1.Item> items = state.items().values().stream().map(DeviceProtocolMapper::toProto).toList();
    List<io.lockstep.protocol.v1.Order> orders = state.orders().values().stream().map(DeviceProtocolMapper::toProto).toList();
    int chunks = Math.max(1, (items.size() + orders.size() + perChunk - 1) / perChunk);
    List<Frame> frames = new ArrayList<>(chunks);
    int itemAt = 0;
    int orderAt = 0;
    for (int chunk = 0; chunk < chunks; chunk++) {
      Snapshot.Builder b = Snapshot.newBuilder().setSeq(state.headSeq()).setChunk(chunk).setLast(chunk == chunks - 1);
      int room = perChunk;
      while (room > 0 && itemAt < items.size()) { b.addItems(items.get(itemAt++)); room--; }
      while (room > 0 && orderAt < orders.size()) { b.addOrders(orders.get(orderAt++)); room--; }
      Frame.Kind kind = b.getLast() ? Frame.Kind.SNAPSHOT_LAST : Frame.Kind.SNAPSHOT_CHUNK;
      byte[] bytes = ServerFrame.newBuilder().setSnapshot(b).build().toByteArray();
      frames.add(new Frame(kind, state.headSeq(), state.headSeq(), bytes));
    }
    return frames;
  }

  /** A stored event's status; unspecified in events written before the field (all accepted). */
  private static AckStatus storedStatus(MutationRecorded event) {
    return switch (event.getStatus()) {
      case ACK_STATUS_UNSPECIFIED, ACCEPTED -> AckStatus.ACCEPTED;
      case REJECTED -> AckStatus.REJECTED;
      case DUPLICATE, UNRECOGNIZED -> throw new IllegalArgumentException(
          "event " + event.getSeq() + ": status " + event.getStatusValue() + " is never stored (written by a newer version?)");
    };
  }

  /** The device-facing form of a stored mutation. */
  public static Change toChange(MutationRecorded event) {
    Change.Builder c =
        Change.newBuilder()
            .setSeq(event.getSeq())
            .setDeviceId(event.getDeviceId())
            .setCounter(event.getMutation().getCounter())
            .setMutation(event.getMutation())
            .setStatus(storedStatus(event));
    if (event.hasItem()) c.setItem(event.getItem());
    if (event.hasOrder()) c.setOrder(event.getOrder());
    if (event.hasConflict()) c.setConflict(event.getConflict());
    return c.build();
  }
}
