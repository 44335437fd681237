package io.lockstep.testing;

import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.Item;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.ServerFrame;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A test device that behaves like a real one when the server refuses or drops it: on an Error
 * ({@code unavailable}, {@code busy}, …) or a lost connection it waits, reconnects with the last
 * seq it applied, and resends its unacknowledged mutation unless {@code Welcome.last_counter} says
 * the server already holds it. Its replica of items is built from the changes it received, each
 * seq once, in order. One thread drives it.
 */
public final class ReconnectingDevice implements AutoCloseable {
  private static final Duration POLL = Duration.ofMillis(200);

  private final int httpPort;
  private final String deviceId;
  private final String token;
  private final Map<String, Item> replica = new HashMap<>();
  private TestDevice current;
  private long appliedSeq;
  private long lastCounter;
  private int reconnects;

  public ReconnectingDevice(int httpPort, String deviceId, String token) {
    this.httpPort = httpPort;
    this.deviceId = deviceId;
    this.token = token;
    connect(Duration.ofSeconds(30));
  }

  /**
   * Pushes {@code mutation} until the server answers it, across reconnects. A mutation the server
   * already held when the device reconnected (its ack was lost) is reported as {@code DUPLICATE}.
   *
   * @throws AssertionError when no answer came within {@code patience}
   */
  public Ack push(Mutation mutation, Duration patience) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    current.push(mutation);
    while (System.nanoTime() < deadline) {
      Ack ack = current.pollAck(POLL);
      if (ack != null && ack.getCounter() == mutation.getCounter()) return ack;
      if (ack == null && refusedOrClosed()) {
        reconnect(deadline);
        if (lastCounter >= mutation.getCounter()) {
          return Ack.newBuilder().setCounter(mutation.getCounter()).setStatus(AckStatus.DUPLICATE).build();
        }
        current.push(mutation);
      }
    }
    throw new AssertionError(deviceId + ": mutation " + mutation.getCounter() + " unanswered within " + patience);
  }

  /** Applies changes until the replica reaches {@code seq}, reconnecting when dropped. */
  public Map<String, Item> awaitSeq(long seq, Duration patience) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    while (appliedSeq < seq) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(deviceId + ": at seq " + appliedSeq + ", not " + seq + ", after " + patience);
      }
      Change change = current.pollChange(POLL);
      if (change != null) apply(change);
      else if (refusedOrClosed()) reconnect(deadline);
    }
    return Map.copyOf(replica);
  }

  public int reconnects() {
    return reconnects;
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
    connect(Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime())));
  }

  private void connect(Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    while (true) {
      TestDevice device = TestDevice.hello(httpPort, deviceId, token, appliedSeq);
      ServerFrame first = device.next();
      if (first.hasWelcome()) {
        current = device;
        lastCounter = first.getWelcome().getLastCounter();
        return;
      }
      device.close();
      if (System.nanoTime() > deadline) throw new AssertionError(deviceId + ": no Welcome, last got " + first);
      sleep(POLL);
    }
  }

  private void apply(Change change) {
    if (change.getSeq() <= appliedSeq) return; // devices ignore seq they have
    if (change.getSeq() != appliedSeq + 1) {
      throw new AssertionError(deviceId + ": change " + change.getSeq() + " after " + appliedSeq + " (a gap)");
    }
    if (change.hasItem()) replica.put(change.getItem().getItemId(), change.getItem());
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
