package io.lockstep.device;

import io.lockstep.security.DevicePrincipal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The authenticated device sessions of this node, by merchant and device, oldest first. Bounds
 * the sessions per device (a new session beyond the bound closes the oldest: a device that
 * reconnects after a network drop must win over its own half-open socket) and closes the sessions
 * of revoked devices. Node-local: two sessions of one device on two nodes are not seen together.
 */
final class LiveSessions {
  private final int maxPerDevice;
  private final Map<DevicePrincipal, List<ActorRef<DeviceSession.Command>>> byDevice = new LinkedHashMap<>();

  LiveSessions(int maxPerDevice) {
    this.maxPerDevice = maxPerDevice;
  }

  /** Adds {@code session}; tells the oldest sessions beyond the bound to close. */
  void register(String merchantId, String deviceId, ActorRef<DeviceSession.Command> session) {
    List<ActorRef<DeviceSession.Command>> evicted = new ArrayList<>();
    synchronized (this) {
      List<ActorRef<DeviceSession.Command>> sessions = byDevice.computeIfAbsent(key(merchantId, deviceId), k -> new ArrayList<>());
      sessions.add(session);
      while (sessions.size() > maxPerDevice) evicted.add(sessions.remove(0));
    }
    evicted.forEach(old -> old.tell(DeviceSession.Replaced.INSTANCE));
  }

  synchronized void unregister(String merchantId, String deviceId, ActorRef<DeviceSession.Command> session) {
    DevicePrincipal key = key(merchantId, deviceId);
    List<ActorRef<DeviceSession.Command>> sessions = byDevice.get(key);
    if (sessions != null && sessions.remove(session) && sessions.isEmpty()) byDevice.remove(key);
  }

  /** Tells every session of a device in {@code revoked} (that merchant's device only) to close. */
  void revoke(Set<DevicePrincipal> revoked) {
    List<ActorRef<DeviceSession.Command>> toClose = new ArrayList<>();
    synchronized (this) {
      byDevice.forEach((device, sessions) -> {
        if (revoked.contains(device)) toClose.addAll(sessions);
      });
    }
    toClose.forEach(s -> s.tell(DeviceSession.Revoked.INSTANCE));
  }

  synchronized int count(String merchantId, String deviceId) {
    return byDevice.getOrDefault(key(merchantId, deviceId), List.of()).size();
  }

  // A record, not a joined string: ids may hold any character, so "a\nb"+"c" and "a"+"b\nc" differ.
  private static DevicePrincipal key(String merchantId, String deviceId) {
    return new DevicePrincipal(merchantId, deviceId);
  }
}
