package io.lockstep.testing;

import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.testing.history.History;
import io.lockstep.testing.history.HistoryChecker;
import io.lockstep.testing.history.Verdict;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The devices of one merchant during a fault (a node or the database frozen, down or cut off), each adding 1 to one item's stock in a
 * closed loop on its own thread, as a till does: push, wait for the answer (reconnecting to the
 * next node and resending when refused, dropped, or met with silence), push the next. Everything
 * they push, are acknowledged and receive goes into one {@link History}; {@link #verdict} adds the
 * server's side and asks the {@link HistoryChecker}.
 */
public final class FaultWorkload {
  public static final String ITEM = "stock";
  private static final Duration PATIENCE = Duration.ofSeconds(120);
  private static final Duration BETWEEN_PUSHES = Duration.ofMillis(50);

  private final String merchant;
  private final History history = new History();
  private final List<ReconnectingDevice> devices = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final List<Throwable> failures = new CopyOnWriteArrayList<>();
  private final ConcurrentLinkedQueue<Long> ackedAtNanos = new ConcurrentLinkedQueue<>();
  private volatile boolean running;

  /**
   * {@code perNode} devices of {@code merchant} connected first to each of {@code nodes} (device
   * WebSocket URIs), with tokens from {@code mint}; a device gives up on a connection that stays
   * silent for {@code silence}.
   */
  public FaultWorkload(List<URI> nodes, Function<DevicePrincipal, String> mint, String merchant, int perNode,
      Duration silence) {
    for (int i = 0; i < perNode * nodes.size(); i++) {
      String id = "till-" + i;
      devices.add(new ReconnectingDevice(nodes, i % nodes.size(), id, mint.apply(new DevicePrincipal(merchant, id)),
          history, silence));
    }
    this.merchant = merchant;
  }

  /** Creates the item, then starts every device's loop. */
  public void start() throws InterruptedException {
    devices.get(0).push(Mutations.upsertItem(1, ITEM, "Coffee", 250), PATIENCE);
    running = true;
    for (int d = 0; d < devices.size(); d++) {
      ReconnectingDevice device = devices.get(d);
      long first = d == 0 ? 2 : 1;
      Thread thread = new Thread(() -> loop(device, first), merchant + "-" + device.deviceId());
      threads.add(thread);
      thread.start();
    }
  }

  private void loop(ReconnectingDevice device, long firstCounter) {
    long counter = firstCounter;
    try {
      while (running) {
        Ack ack = device.push(Mutations.restock(counter++, ITEM), PATIENCE);
        if (ack.getStatus() == AckStatus.ACCEPTED || ack.getStatus() == AckStatus.DUPLICATE) {
          ackedAtNanos.add(System.nanoTime());
        } else {
          failures.add(new AssertionError(device.deviceId() + ": " + ack));
        }
        Thread.sleep(BETWEEN_PUSHES.toMillis());
      }
    } catch (Throwable e) {
      failures.add(e);
    }
  }

  /** Acks (accepted or duplicate) the devices got after {@code nanos} (System.nanoTime). */
  public long acksAfter(long nanos) {
    return ackedAtNanos.stream().filter(t -> t > nanos).count();
  }

  /** The first ack after {@code nanos}, or empty. */
  public java.util.OptionalLong firstAckAfter(long nanos) {
    return ackedAtNanos.stream().mapToLong(Long::longValue).filter(t -> t > nanos).min();
  }

  /** Stops every loop after its current push is answered; fails if a device got no answer or a refusal. */
  public void stop() throws InterruptedException {
    running = false;
    for (Thread thread : threads) thread.join(PATIENCE.toMillis() + 10_000);
    if (!failures.isEmpty()) {
      AssertionError error = new AssertionError("devices failed: " + failures);
      failures.forEach(error::addSuppressed);
      throw error;
    }
  }

  public List<ReconnectingDevice> devices() {
    return devices;
  }

  public String merchant() {
    return merchant;
  }

  /**
   * Once every device has caught up with the merchant's {@code head}: the checker's verdict over
   * what the devices saw and the server's side, which {@code serverSide} records (order and state).
   */
  public Verdict verdict(long head, Consumer<History> serverSide) throws InterruptedException {
    for (ReconnectingDevice device : devices) {
      device.awaitSeq(head, PATIENCE);
      history.finalReplica(device.deviceId(), device.records());
    }
    serverSide.accept(history);
    return HistoryChecker.check(history);
  }

  public void close() {
    running = false;
    devices.forEach(ReconnectingDevice::close);
  }
}
