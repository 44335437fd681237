package io.lockstep.merchant;

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
      frames.add(new Frame(Frame.Kind.CHANGES, part.get(0).seq(), part.get(part.size() - 1).seq(), serverFrame(part)));
    }
    return frames;
  }

  private static byte[] serverFrame(List<Encoded> part) {
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
    out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    out.writeUInt32NoTag(message.length);
    out.writeRawBytes(message);
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
