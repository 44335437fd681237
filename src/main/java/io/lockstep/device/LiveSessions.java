package io.lockstep.device;

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
  private final Map<String, List<ActorRef<DeviceSession.Command>>> byDevice = new LinkedHashMap<>();

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
    String key = key(merchantId, deviceId);
    List<ActorRef<DeviceSession.Command>> sessions = byDevice.get(key);
    if (sessions != null && sessions.remove(session) && sessions.isEmpty()) byDevice.remove(key);
  }

  /** Tells every session of a device in {@code revoked} to close. */
  void revoke(Set<String> revoked) {
    List<ActorRef<DeviceSession.Command>> toClose = new ArrayList<>();
    synchronized (this) {
      byDevice.forEach((key, sessions) -> {
        if (revoked.contains(key.substring(key.indexOf('\n') + 1))) toClose.addAll(sessions);
      });
    }
    toClose.forEach(s -> s.tell(DeviceSession.Revoked.INSTANCE));
  }

  synchronized int count(String merchantId, String deviceId) {
    return byDevice.getOrDefault(key(merchantId, deviceId), List.of()).size();
  }

  private static String key(String merchantId, String deviceId) {
    return merchantId + "\n" + deviceId;
  }
}
