package io.lockstep.merchant;

import io.lockstep.domain.MerchantState;
import io.lockstep.merchant.MerchantEntity.Frame;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.Changes;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.protocol.v1.Snapshot;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.storage.v1.MutationRecorded;
import java.util.ArrayList;
import java.util.List;

/**
 * The device-facing encoding of what a merchant stored: a stored event as a {@link Change}, and
 * changes or a whole state as encoded {@link Frame}s, built once and sent as the same bytes to
 * every subscriber.
 */
public final class ChangeFrames {
  private ChangeFrames() {}

  /** {@code changes} (in seq order) in frames of at most {@code perFrame} changes. */
  static List<Frame> changeFrames(List<Change> changes, int perFrame) {
    List<Frame> frames = new ArrayList<>();
    for (int from = 0; from < changes.size(); from += perFrame) {
      List<Change> part = changes.subList(from, Math.min(changes.size(), from + perFrame));
      byte[] bytes =
          ServerFrame.newBuilder()
              .setChanges(Changes.newBuilder().addAllChanges(part))
              .build()
              .toByteArray();
      frames.add(new Frame(Frame.Kind.CHANGES, part.get(0).getSeq(), part.get(part.size() - 1).getSeq(), bytes));
    }
    return frames;
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
