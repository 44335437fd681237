package io.lockstep.merchant;

import io.lockstep.storage.v1.MutationRecorded;
import java.util.Objects;

/**
 * One stored mutation; see {@code proto/lockstep/storage/v1/events.proto}. One just resolved
 * carries its encoding, made once ({@link WrittenEvents}), which the journal writes as it is;
 * one read from the journal its decoded form. Each is derived from the other when asked.
 */
public final class Recorded implements MerchantEntity.Event {
  private final long seq;
  private final byte[] encoded; // null when read from the journal
  private volatile MutationRecorded proto; // decoded on first use when resolved here

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

  /** The merchant seq it was stored at, without decoding. */
  public long seq() {
    return seq;
  }

  public MutationRecorded proto() {
    MutationRecorded p = proto;
    if (p == null) {
      try {
        p = MutationRecorded.parseFrom(encoded);
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException("an event encoded here does not decode", e);
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
