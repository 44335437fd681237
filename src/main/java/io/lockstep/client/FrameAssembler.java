package io.lockstep.client;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * Joins the parts of one binary WebSocket message, the unit a server frame travels in, up to a
 * bound. The JDK hands a message over in parts, whether the server fragmented it or not; a part
 * that would take the message past {@code maxBytes} is refused before it is buffered, so a server
 * (or anything posing as one) cannot make the device buffer without limit.
 *
 * <p>Not thread-safe: one per connection, fed by the socket's listener, which the JDK calls one
 * part at a time.
 */
final class FrameAssembler {

  private final int maxBytes;
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

  FrameAssembler(int maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes < 1: " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  /** Whether a next part of {@code bytes} keeps the message within the bound. */
  boolean admits(int bytes) {
    return bytes <= maxBytes - partial.size();
  }

  /**
   * Adds the next part, which {@link #admits} must allow; the whole message after its last part,
   * else null.
   */
  byte[] add(ByteBuffer part, boolean last) {
    if (!admits(part.remaining())) {
      throw new IllegalStateException("message over " + maxBytes + " bytes");
    }
    byte[] bytes = new byte[part.remaining()];
    part.get(bytes);
    if (last && partial.size() == 0) {
      return bytes;
    }
    partial.writeBytes(bytes);
    if (!last) {
      return null;
    }
    byte[] whole = partial.toByteArray();
    partial.reset();
    return whole;
  }
}
