package io.lockstep.load;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The seqs of a {@code Changes} frame, read without decoding the changes: a device that only
 * counts and orders what it receives, so that a catch-up measures what the node delivers rather
 * than what one driver thread can decode (on this machine the driver's protobuf decoding, on the
 * same two cores, bounded one device's catch-up).
 */
final class ChangeSeqs {
  private static final int CHANGES = 3 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED; // ServerFrame.changes
  private static final int CHANGE = 1 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED; // Changes.changes
  private static final int SEQ = 1 << 3 | WireFormat.WIRETYPE_VARINT; // Change.seq

  private ChangeSeqs() {}

  /**
   * Reads the seqs of {@code frame} after {@code applied}: each once, in order, none missed (a gap
   * is counted as the error {@code gap-in-changes}); counts each new one as received. Returns the
   * last seq read (or {@code applied}), or -1 if {@code frame} is not a Changes frame.
   */
  static long readInOrder(ByteBuffer frame, long applied, Recorder rec) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(frame.duplicate());
    int top = in.readTag();
    if (top != CHANGES) return -1;
    // Frames that waited for the same socket go out joined: Changes written one after the other
    // in one ServerFrame, which protobuf reads as one merged Changes.
    for (; top != 0; top = in.readTag()) {
      if (top != CHANGES) {
        in.skipField(top);
        continue;
      }
      int changesEnd = in.pushLimit(in.readRawVarint32());
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        if (tag != CHANGE) {
          in.skipField(tag);
          continue;
        }
        int changeEnd = in.pushLimit(in.readRawVarint32());
        long seq = 0;
        for (int field = in.readTag(); field != 0; field = in.readTag()) {
          if (field == SEQ) seq = in.readUInt64();
          else in.skipField(field);
        }
        in.popLimit(changeEnd);
        if (seq <= applied) continue;
        if (seq != applied + 1) rec.error("gap-in-changes");
        applied = seq;
        rec.changesReceived.increment();
      }
      in.popLimit(changesEnd);
    }
    return applied;
  }
}
