package io.lockstep.device;

import com.google.protobuf.InvalidProtocolBufferException;
import io.lockstep.config.LimitSettings;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.security.MutationLimits;
import java.util.Optional;

/**
 * Decoding and stateless checking of what a device sends: bytes to a {@link ClientFrame}, and
 * every bound a push must respect before it is forwarded. Pure, so it can be fuzzed on its own;
 * the session adds what needs state (rate, pushes in flight).
 */
final class ClientFrames {

  /** The outcome: a frame to act on, or the error code and message to close with. */
  sealed interface Decoded {
    record Accepted(ClientFrame frame) implements Decoded {}

    record Refused(String code, String message) implements Decoded {}
  }

  private final LimitSettings limits;
  private final MutationLimits mutationLimits;

  ClientFrames(LimitSettings limits) {
    this.limits = limits;
    this.mutationLimits = new MutationLimits(limits);
  }

  /** Decodes and checks one binary WebSocket message. */
  Decoded decode(byte[] bytes) {
    if (bytes.length > limits.maxFrameBytes()) {
      return new Decoded.Refused("frame-too-large", "frames are limited to " + limits.maxFrameBytes() + " bytes");
    }
    ClientFrame frame;
    try {
      frame = ClientFrame.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      return new Decoded.Refused("bad-frame", "not a lockstep.v1.ClientFrame");
    }
    if (frame.hasPush()) {
      Optional<MutationLimits.Violation> violation = mutationLimits.check(frame.getPush());
      if (violation.isPresent()) return new Decoded.Refused(violation.get().kind().code(), violation.get().message());
    }
    if (frame.hasHello() && frame.getHello().getDeviceId().length() > limits.maxStringLength()) {
      return new Decoded.Refused("string-too-long", "Hello.device_id longer than " + limits.maxStringLength());
    }
    return new Decoded.Accepted(frame);
  }
}
