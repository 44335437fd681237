package io.lockstep.merchant;

import io.lockstep.domain.MerchantState;
import io.lockstep.merchant.MerchantEntity.DeviceStatus;
import io.lockstep.merchant.MerchantEntity.Frame;
import io.lockstep.merchant.MerchantEntity.SessionEvent;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The sessions subscribed to one merchant, and what the merchant knows of its devices: when each
 * connected, on which node, and the seq its session last reported delivered. Transient: a
 * restarted or moved entity learns it again from the sessions' next heartbeat.
 *
 * <p>Reports every change in the number of subscribers to the {@link MerchantObserver}.
 * Confined to the entity's actor.
 */
final class Subscribers {
  private record Subscription(String deviceId, long connectedSinceMillis, long lastDeliveredSeq, String node) {}

  private final String merchantId;
  private final MerchantObserver observer;
  private final Map<ActorRef<SessionEvent>, Subscription> subscriptions = new HashMap<>();
  // Outlives the subscriptions, so the device list still says how far a gone device got.
  private final Map<String, Long> lastDeliveredByDevice = new HashMap<>();

  Subscribers(String merchantId, MerchantObserver observer) {
    this.merchantId = merchantId;
    this.observer = observer;
  }

  /**
   * Subscribes {@code inbox} of {@code deviceId}, which has {@code afterSeq}, or refreshes its
   * subscription (a heartbeat keeps the time it first connected). True when {@code inbox} was
   * not subscribed: the caller then watches its session.
   */
  boolean subscribe(ActorRef<SessionEvent> inbox, String deviceId, long afterSeq, String node, long nowMillis) {
    Subscription previous = subscriptions.get(inbox);
    long since = previous != null ? previous.connectedSinceMillis() : nowMillis;
    subscriptions.put(inbox, new Subscription(deviceId, since, afterSeq, node));
    lastDeliveredByDevice.merge(deviceId, afterSeq, Math::max);
    if (previous != null) return false;
    observer.subscribers(merchantId, subscriptions.size());
    return true;
  }

  /** Ends the subscription of {@code inbox}; the device it was of, if it was subscribed. */
  java.util.Optional<String> unsubscribe(ActorRef<SessionEvent> inbox) {
    Subscription removed = subscriptions.remove(inbox);
    if (removed == null) return java.util.Optional.empty();
    observer.subscribers(merchantId, subscriptions.size());
    return java.util.Optional.of(removed.deviceId());
  }

  boolean isEmpty() {
    return subscriptions.isEmpty();
  }

  int size() {
    return subscriptions.size();
  }

  /** Sends {@code frames}, in order, to every subscriber. */
  void tellAll(List<Frame> frames) {
    for (Frame frame : frames) {
      subscriptions.keySet().forEach(s -> s.tell(frame));
    }
  }

  /**
   * Every device that wrote to {@code state} or subscribed since the entity started, by id; a
   * device with several sessions is connected since the earliest of them.
   */
  List<DeviceStatus> devices(MerchantState state) {
    Map<String, DeviceStatus> devices = new TreeMap<>();
    state.lastCounters().forEach((device, counter) -> devices.put(device,
        new DeviceStatus(device, false, counter, lastDeliveredByDevice.getOrDefault(device, 0L), 0, "")));
    lastDeliveredByDevice.forEach((device, seq) -> devices.putIfAbsent(device,
        new DeviceStatus(device, false, 0, seq, 0, "")));
    for (Subscription sub : subscriptions.values()) {
      DeviceStatus known = devices.get(sub.deviceId());
      long since = known != null && known.connected() ? Math.min(known.connectedSinceMillis(), sub.connectedSinceMillis()) : sub.connectedSinceMillis();
      devices.put(sub.deviceId(), new DeviceStatus(sub.deviceId(), true, state.lastCounter(sub.deviceId()),
          Math.max(sub.lastDeliveredSeq(), lastDeliveredByDevice.getOrDefault(sub.deviceId(), 0L)), since, sub.node()));
    }
    return List.copyOf(devices.values());
  }
}
