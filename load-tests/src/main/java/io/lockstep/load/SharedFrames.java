package io.lockstep.load;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.lockstep.protocol.v1.ServerFrame;
import java.nio.ByteBuffer;

/**
 * Decodes what a merchant's devices receive. The server sends one change to every device of the
 * merchant as the same bytes, so a frame of changes byte-identical to one of the last
 * {@value #REMEMBERED} is not decoded again: its device gets the message decoded from those very
 * bytes (protobuf messages are immutable). Decoding is a pure function of the bytes, so every
 * device still applies exactly what it received; what is saved is the driver's CPU (with 50
 * devices per merchant, decoding each change 49 times was most of the driver's work and held the
 * node's figures down on a shared machine). Other frames (acks, snapshots, errors) are decoded
 * every time.
 */
final class SharedFrames {
  static final int REMEMBERED = 32;
  private static final int CHANGES_TAG = (ServerFrame.CHANGES_FIELD_NUMBER << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  private final ByteBuffer[] bytes = new ByteBuffer[REMEMBERED];
  private final int[] hashes = new int[REMEMBERED];
  private final ServerFrame[] frames = new ServerFrame[REMEMBERED];
  private int next;

  ServerFrame decode(ByteBuffer received) throws InvalidProtocolBufferException {
    if (!received.hasRemaining() || (received.get(received.position()) & 0xff) != CHANGES_TAG) {
      return ServerFrame.parseFrom(received);
    }
    int hash = received.hashCode(); // of the remaining bytes, by content
    synchronized (this) {
      for (int i = 0; i < REMEMBERED; i++) {
        if (frames[i] != null && hashes[i] == hash && bytes[i].equals(received)) return frames[i];
      }
    }
    byte[] copy = new byte[received.remaining()];
    received.duplicate().get(copy);
    ServerFrame frame = ServerFrame.parseFrom(copy);
    synchronized (this) {
      bytes[next] = ByteBuffer.wrap(copy);
      hashes[next] = hash;
      frames[next] = frame;
      next = (next + 1) % REMEMBERED;
    }
    return frame;
  }
}
