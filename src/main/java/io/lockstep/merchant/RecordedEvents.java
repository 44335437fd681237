package io.lockstep.merchant;

import io.lockstep.domain.Authority;
import io.lockstep.domain.Mutation;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.storage.v1.MutationRecorded;
import io.lockstep.storage.v1.WriterAuthority;

/**
 * The storage-facing reading of what a merchant stored: a stored event
 * ({@code proto/lockstep/storage/v1/events.proto}) back to the domain mutation it replays as, and
 * the {@link Ack} that answers a mutation. Events are written by {@link WrittenEvents}; the
 * device-facing encoding is {@link ChangeFrames}.
 */
final class RecordedEvents {
  private RecordedEvents() {}

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
