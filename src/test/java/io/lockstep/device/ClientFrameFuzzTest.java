package io.lockstep.device;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.lockstep.config.LimitSettings;
import io.lockstep.domain.Authority;
import io.lockstep.domain.MerchantState;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.serialization.InvalidMutationException;

/**
 * Fuzzes what a device's bytes go through before and at its merchant: {@link ClientFrames}
 * (decode and bounds), then the mapping to domain mutations and the merge. Only the declared
 * outcomes may happen: a refusal with a code, {@link InvalidMutationException}, or an outcome of
 * {@link MerchantState#apply}; no other exception, no OOM, no stack overflow.
 *
 * <p>Runs the committed corpus under {@code ClientFrameFuzzTestInputs/} in every build; fuzzes
 * with {@code JAZZER_FUZZ=1}.
 */
class ClientFrameFuzzTest {
  private static final LimitSettings LIMITS = new LimitSettings(262144, 500, 256, 1000, 50, 1);
  private static final ClientFrames FRAMES = new ClientFrames(LIMITS);

  @FuzzTest(maxDuration = "60s")
  void decode(byte[] bytes) {
    ClientFrames.Decoded decoded = FRAMES.decode(bytes);
    if (decoded instanceof ClientFrames.Decoded.Refused refused) {
      assertTrue(refused.code().matches("[a-z-]+"), refused.code());
      return;
    }
    ClientFrame frame = ((ClientFrames.Decoded.Accepted) decoded).frame();
    if (!frame.hasPush()) return;
    assertTrue(frame.getPush().getMutationsCount() <= LIMITS.maxMutationsPerPush());
    MerchantState state = MerchantState.empty();
    long seq = 0;
    for (Mutation wire : frame.getPush().getMutationsList()) {
      try {
        state = state.apply(++seq, DeviceProtocolMapper.toDomain("fuzz-device", Authority.DEVICE, wire)).state();
      } catch (InvalidMutationException expected) {
        // a declared validation error
      }
    }
  }
}
