package io.lockstep.testing;

import com.google.protobuf.Message;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.Item;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.testing.history.History;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A test device that behaves like a real one when the server refuses or drops it: on an Error
 * ({@code unavailable}, {@code busy}, …) or a lost connection it waits, reconnects with the last
 * seq it applied, and resends its unacknowledged mutation unless {@code Welcome.last_counter} says
 * the server already holds it. Its replica is built from the changes it received, each seq once,
 * in order. One thread drives it.
 *
 * <p>Given several nodes it connects to the next one each time, and given a {@code silence} it
 * also gives up on a connection that answers nothing (no Welcome, no ack, no change it waits for)
 * for that long: what a device does when its node is frozen or cut off. Given a {@link History},
 * every connection records into it.
 */
public final class ReconnectingDevice implements AutoCloseable {
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration PATIENT = Duration.ofSeconds(20);

  private final List<URI> nodes;
  private final String deviceId;
  private final String token;
  private final History history; // null: nothing recorded
  private final Duration silence; // null: wait until refused or closed
  private final Map<String, Item> replica = new HashMap<>();
  private final Map<String, Message> records = new HashMap<>();
  private final List<URI> connections = new ArrayList<>();
  private final List<URI> attempts = new ArrayList<>();
  private TestDevice current;
  private int next;
  private long appliedSeq;
  private long lastCounter;
  private int reconnects;

  public ReconnectingDevice(int devicePort, String deviceId, String token) {
    this(List.of(TestDevice.uri("127.0.0.1", devicePort)), 0, deviceId, token, null, null);
  }

  /**
   * A device of {@code nodes} (device WebSocket URIs) that first connects to {@code nodes[first]},
   * records into {@code history} (null: nothing) and leaves a connection silent for {@code silence}.
   */
  public ReconnectingDevice(List<URI> nodes, int first, String deviceId, String token, History history, Duration silence) {
    this.nodes = List.copyOf(nodes);
    this.next = first % nodes.size();
    this.deviceId = deviceId;
    this.token = token;
    this.history = history;
    this.silence = silence;
    connect(System.nanoTime() + Duration.ofSeconds(60).toNanos());
  }

  /**
   * Pushes {@code mutation} until the server answers it, across reconnects. A mutation the server
   * already held when the device reconnected (its ack was lost) is reported as {@code DUPLICATE}.
   *
   * @throws AssertionError when no answer came within {@code patience}
   */
  public Ack push(Mutation mutation, Duration patience) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    boolean sent = send(mutation);
    long waitingSince = System.nanoTime();
    while (System.nanoTime() < deadline) {
      Ack ack = sent ? current.pollAck(POLL) : null;
      if (ack != null && ack.getCounter() == mutation.getCounter()) return ack;
      if (ack == null && (!sent || refusedOrClosed() || silentSince(waitingSince))) {
        reconnect(deadline);
        if (lastCounter >= mutation.getCounter()) {
          return Ack.newBuilder().setCounter(mutation.getCounter()).setStatus(AckStatus.DUPLICATE).build();
        }
        sent = send(mutation);
        waitingSince = System.nanoTime();
      }
    }
    throw new AssertionError(deviceId + ": mutation " + mutation.getCounter() + " unanswered within " + patience);
  }

  /** Applies changes until the replica reaches {@code seq}, reconnecting when dropped. */
  public Map<String, Item> awaitSeq(long seq, Duration patience) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    long waitingSince = System.nanoTime();
    while (appliedSeq < seq) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(deviceId + ": at seq " + appliedSeq + ", not " + seq + ", after " + patience);
      }
      Change change = current.pollChange(POLL);
      if (change != null) {
        apply(change);
        waitingSince = System.nanoTime();
      } else if (refusedOrClosed() || silentSince(waitingSince)) {
        reconnect(deadline);
        waitingSince = System.nanoTime();
      }
    }
    return Map.copyOf(replica);
  }

  public int reconnects() {
    return reconnects;
  }

  public String deviceId() {
    return deviceId;
  }

  /** Every node this device said Hello to and got a Welcome from, in order. */
  public List<URI> connections() {
    return List.copyOf(connections);
  }

  /** Every node this device tried to connect to, in order, whether or not it was welcomed. */
  public List<URI> attempts() {
    return List.copyOf(attempts);
  }

  /** Items and orders as applied, keyed by {@link History#key}: the final replica of a history. */
  public Map<String, Message> records() {
    return Map.copyOf(records);
  }

  /**
   * Sends the push; false when the socket was closed under it (the server or a cut closed it before
   * the device saw the close), which a device answers like any close: reconnect and resend.
   */
  private boolean send(Mutation mutation) {
    try {
      current.push(mutation);
      return true;
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof java.io.IOException) return false;
      throw e;
    }
  }

  private boolean silentSince(long nanos) {
    return silence != null && System.nanoTime() - nanos > silence.toNanos();
  }

  private boolean refusedOrClosed() throws InterruptedException {
    if (current.isClosed()) return true;
    ServerFrame frame = current.poll(Duration.ZERO);
    return frame != null && frame.hasError();
  }

  private void reconnect(long deadlineNanos) throws InterruptedException {
    Change change;
    while ((change = current.pollChange(Duration.ZERO)) != null) apply(change);
    current.close();
    reconnects++;
    Thread.sleep(POLL.toMillis());
    connect(deadlineNanos);
  }

  private void connect(long deadlineNanos) {
    ServerFrame last = null;
    while (true) {
      URI node = nodes.get(next);
      next = (next + 1) % nodes.size();
      attempts.add(node);
      Duration wait = silence != null ? silence : PATIENT;
      try {
        TestDevice device = TestDevice.hello(node, deviceId, token, appliedSeq, history, wait);
        last = device.poll(wait);
        if (last != null && last.hasWelcome()) {
          current = device;
          lastCounter = last.getWelcome().getLastCounter();
          connections.add(node);
          return;
        }
        device.close();
      } catch (RuntimeException e) {
        // refused, or no upgrade within the wait: the node is down or frozen; try the next
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      if (System.nanoTime() > deadlineNanos) throw new AssertionError(deviceId + ": no Welcome, last got " + last);
      sleep(POLL);
    }
  }

  private void apply(Change change) {
    if (change.getSeq() <= appliedSeq) return; // devices ignore seq they have
    if (change.getSeq() != appliedSeq + 1) {
      throw new AssertionError(deviceId + ": change " + change.getSeq() + " after " + appliedSeq + " (a gap)");
    }
    if (change.hasItem()) {
      replica.put(change.getItem().getItemId(), change.getItem());
      records.put(History.key(change.getItem()), change.getItem());
    }
    if (change.hasOrder()) records.put(History.key(change.getOrder()), change.getOrder());
    appliedSeq = change.getSeq();
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    current.close();
  }
}
