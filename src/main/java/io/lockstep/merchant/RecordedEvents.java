package io.lockstep.merchant;

import io.lockstep.domain.Authority;
import io.lockstep.domain.Conflict;
import io.lockstep.domain.DomainRecord;
import io.lockstep.domain.Item;
import io.lockstep.domain.Mutation;
import io.lockstep.domain.Order;
import io.lockstep.merchant.MerchantEntity.Recorded;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.storage.v1.MutationRecorded;
import io.lockstep.storage.v1.WriterAuthority;
import java.util.Optional;

/**
 * The storage-facing encoding of what a merchant resolved: a stored mutation as a
 * {@link Recorded} event ({@code proto/lockstep/storage/v1/events.proto}) and back to the domain
 * mutation it replays as, and the {@link Ack} that answers a mutation. The device-facing
 * encoding is {@link ChangeFrames}.
 */
final class RecordedEvents {
  private RecordedEvents() {}

  /**
   * The event storing {@code wire} of {@code deviceId} at {@code seq}, with the {@code record} it
   * left (the item or order) and the {@code conflict} it resolved, recorded at {@code nowMillis}.
   */
  static Recorded recorded(
      long seq,
      String deviceId,
      Authority authority,
      io.lockstep.protocol.v1.Mutation wire,
      AckStatus status,
      DomainRecord record,
      Optional<Conflict> conflict,
      long nowMillis) {
    MutationRecorded.Builder b =
        MutationRecorded.newBuilder()
            .setSeq(seq)
            .setDeviceId(deviceId)
            .setAuthority(authority == Authority.SERVICE ? WriterAuthority.WRITER_SERVICE : WriterAuthority.WRITER_DEVICE)
            .setMutation(wire)
            .setStatus(status)
            .setRecordedAtMillis(nowMillis);
    if (record instanceof Item item) b.setItem(DeviceProtocolMapper.toProto(item));
    if (record instanceof Order order) b.setOrder(DeviceProtocolMapper.toProto(order));
    conflict.ifPresent(c -> b.setConflict(DeviceProtocolMapper.toProto(c)));
    return new Recorded(b.build());
  }

  /** The domain mutation a stored event replays as. */
  static Mutation mutationOf(MutationRecorded event) {
    Authority authority = switch (event.getAuthority()) {
      case WRITER_AUTHORITY_UNSPECIFIED, WRITER_DEVICE -> Authority.DEVICE; // unspecified: written before the field
      case WRITER_SERVICE -> Authority.SERVICE;
      case UNRECOGNIZED -> throw new IllegalArgumentException(
          "event " + event.getSeq() + ": unknown writer authority " + event.getAuthorityValue() + " (written by a newer version?)");
    };
    return DeviceProtocolMapper.toDomain(event.getDeviceId(), authority, event.getMutation());
  }

  /** The answer to the mutation with {@code counter}: stored at {@code seq}, or 0 when not stored. */
  static Ack ack(long counter, long seq, AckStatus status, String reason) {
    return Ack.newBuilder().setCounter(counter).setSeq(seq).setStatus(status).setReason(reason).build();
  }
}
