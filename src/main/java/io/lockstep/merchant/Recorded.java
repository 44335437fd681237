package io.lockstep.merchant;

import com.google.protobuf.InvalidProtocolBufferException;
import io.lockstep.storage.v1.MutationRecorded;
import java.util.Objects;

/**
 * One stored mutation; see {@code proto/lockstep/storage/v1/events.proto}. One just resolved
 * carries its encoding, made once ({@link WrittenEvents}), which the journal writes as it is;
 * one read from the journal the bytes it read. The decoded form is derived when asked.
 */
public final class Recorded implements MerchantEntity.Event {
  private final long seq;
  private final byte[] encoded; // null when built from its decoded form
  private volatile MutationRecorded proto; // decoded on first use when encoded here or read as bytes

  public Recorded(MutationRecorded proto) {
    this.proto = Objects.requireNonNull(proto, "proto");
    this.seq = proto.getSeq();
    this.encoded = null;
  }

  private Recorded(long seq, byte[] encoded) {
    this.seq = seq;
    this.encoded = encoded;
  }

  /** The event at {@code seq} whose encoding is {@code encoded} (as {@link WrittenEvents} wrote it). */
  static Recorded encoded(long seq, byte[] encoded) {
    return new Recorded(seq, Objects.requireNonNull(encoded, "encoded"));
  }

  /**
   * The event whose stored bytes are {@code stored} (read from the journal), decoded only when
   * asked: catch-up turns the bytes into a change without decoding them ({@link ChangeFrames#encodeStored}).
   *
   * @throws InvalidProtocolBufferException when the bytes are not a sequence of protobuf fields
   */
  public static Recorded stored(byte[] stored) throws InvalidProtocolBufferException {
    try {
      return new Recorded(ChangeFrames.field1(stored, 0, stored.length), stored);
    } catch (InvalidProtocolBufferException e) {
      throw e;
    } catch (java.io.IOException e) {
      throw new InvalidProtocolBufferException(e);
    }
  }

  /** The merchant seq it was stored at, without decoding. */
  public long seq() {
    return seq;
  }

  public MutationRecorded proto() {
    MutationRecorded p = proto;
    if (p == null) {
      try {
        p = MutationRecorded.parseFrom(encoded);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("stored event " + seq + " does not decode", e);
      }
      proto = p;
    }
    return p;
  }

  /** The stored bytes without a copy, for the serializer. */
  byte[] bytesForJournal() {
    return encoded != null ? encoded : proto.toByteArray();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Recorded other && proto().equals(other.proto());
  }

  @Override
  public int hashCode() {
    return proto().hashCode();
  }

  @Override
  public String toString() {
    return "Recorded[" + proto() + "]";
  }
}
