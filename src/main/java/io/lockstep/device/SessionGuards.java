package io.lockstep.device;

import io.lockstep.config.LimitSettings;
import io.lockstep.security.DeviceRevocations;

/** What every device session of a node shares to enforce limits, revocation and session bounds. */
record SessionGuards(ClientFrames frames, LiveSessions live, DeviceRevocations revocations, LimitSettings limits) {

  static SessionGuards of(LimitSettings limits, DeviceRevocations revocations) {
    SessionGuards guards =
        new SessionGuards(new ClientFrames(limits), new LiveSessions(limits.maxSessionsPerDevice()), revocations, limits);
    revocations.onChange(guards.live()::revoke);
    return guards;
  }
}
