package io.lockstep.api;

import io.lockstep.http.ApiProblem;
import io.lockstep.http.JsonBodies;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.lockstep.config.LimitSettings;
import io.lockstep.domain.Authority;
import io.lockstep.domain.MerchantState;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Push;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.serialization.InvalidMutationException;
import io.lockstep.security.MutationLimits;

/**
 * Fuzzes the product API's body path: JSON text through {@link JsonBodies#parse} (the proto3 JSON
 * mapping) into a {@link Push}, the edge bounds, the mapping and the merge. Only {@link
 * ApiProblem} (a problem response) and {@link InvalidMutationException} may escape.
 */
class JsonMappingFuzzTest {
  private static final LimitSettings LIMITS = new LimitSettings(262144, 500, 256, 1000, 50, 1);
  private static final MutationLimits BOUNDS = new MutationLimits(LIMITS);

  @FuzzTest(maxDuration = "60s")
  void parsePush(String json) {
    if (json == null || json.length() > LIMITS.maxFrameBytes()) return; // the HTTP layer refuses larger bodies
    Push push;
    try {
      push = JsonBodies.parse(json, Push.newBuilder()).build();
    } catch (ApiProblem expected) {
      return;
    }
    if (push.getMutationsCount() > LIMITS.maxMutationsPerPush()) return;
    MerchantState state = MerchantState.empty();
    long seq = 0;
    for (Mutation wire : push.getMutationsList()) {
      if (BOUNDS.problem(wire).isPresent() || wire.getOpCase() == Mutation.OpCase.OP_NOT_SET) continue;
      try {
        state = state.apply(++seq, DeviceProtocolMapper.toDomain("service", Authority.SERVICE, wire)).state();
      } catch (InvalidMutationException expected) {
        // a declared validation error
      }
    }
  }
}
