package io.lockstep.merchant;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Which of a merchant's devices have applied (and stored) which seq, and the services waiting
 * until every device has applied theirs: the sync barrier behind
 * {@code GET /v1/merchants/{m}/sync?seq=N}. Pure: the entity feeds it what its sessions report
 * and the time.
 *
 * <p>A device counts while it is connected, and for {@code recentWindow} after it was last seen
 * (connected, subscribed or reporting). The barrier at seq N is complete when every device that
 * counts has applied at least N. What the barrier knows is transient: after the merchant restarts
 * or moves it knows the devices that reconnect, not the ones that stay away.
 */
public final class SyncBarrier {

  /** One device as the barrier sees it. */
  public record Device(String deviceId, long appliedSeq, boolean connected, long lastSeenMillis) {}

  /** The answer for seq N at a moment. */
  public record Status(long seq, boolean complete, List<Device> devices) {
    public Status {
      devices = List.copyOf(devices);
    }
  }

  private static final class Known {
    long appliedSeq;
    int sessions;
    long lastSeenMillis;
  }

  private record Waiter(long id, long seq, Consumer<Status> answer) {}

  private final Duration recentWindow;
  private final Map<String, Known> devices = new HashMap<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private long nextWaiter;

  public SyncBarrier(Duration recentWindow) {
    this.recentWindow = Objects.requireNonNull(recentWindow, "recentWindow");
  }

  /** A session of {@code deviceId} subscribed, having applied {@code afterSeq}. */
  public void connected(String deviceId, long afterSeq, long nowMillis) {
    Known known = devices.computeIfAbsent(deviceId, id -> new Known());
    known.sessions++;
    see(known, afterSeq, nowMillis);
  }

  /** A session of {@code deviceId} re-subscribed (heartbeat) or reported progress. */
  public void seen(String deviceId, long appliedSeq, long nowMillis) {
    Known known = devices.get(deviceId);
    if (known == null) return; // not connected here; reports only count from a subscribed session
    see(known, appliedSeq, nowMillis);
    answerCompleted(nowMillis);
  }

  /** A session of {@code deviceId} ended. */
  public void disconnected(String deviceId, long nowMillis) {
    Known known = devices.get(deviceId);
    if (known == null) return;
    known.sessions = Math.max(0, known.sessions - 1);
    known.lastSeenMillis = nowMillis;
    answerCompleted(nowMillis); // a device that left may be the last one behind... until it ages out
  }

  private static void see(Known known, long appliedSeq, long nowMillis) {
    known.appliedSeq = Math.max(known.appliedSeq, appliedSeq);
    known.lastSeenMillis = nowMillis;
  }

  /** The barrier at {@code seq} now. */
  public Status status(long seq, long nowMillis) {
    List<Device> counted = new ArrayList<>();
    boolean complete = true;
    for (Map.Entry<String, Known> entry : new TreeMap<>(devices).entrySet()) {
      Known known = entry.getValue();
      boolean connected = known.sessions > 0;
      if (!connected && nowMillis - known.lastSeenMillis > recentWindow.toMillis()) continue;
      counted.add(new Device(entry.getKey(), known.appliedSeq, connected, known.lastSeenMillis));
      if (known.appliedSeq < seq) complete = false;
    }
    return new Status(seq, complete, counted);
  }

  /**
   * Answers at once when the barrier at {@code seq} is complete, or else when it completes; returns
   * the waiter's id for {@link #expire}, or -1 when it was answered at once.
   */
  public long await(long seq, long nowMillis, Consumer<Status> answer) {
    Status now = status(seq, nowMillis);
    if (now.complete()) {
      answer.accept(now);
      return -1;
    }
    long id = nextWaiter++;
    waiters.add(new Waiter(id, seq, answer));
    return id;
  }

  /** The wait of waiter {@code id} is over: it gets the barrier as it stands. */
  public void expire(long id, long nowMillis) {
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter waiter = it.next();
      if (waiter.id() == id) {
        it.remove();
        waiter.answer().accept(status(waiter.seq(), nowMillis));
        return;
      }
    }
  }

  /** Waiters still waiting. */
  public int waiting() {
    return waiters.size();
  }

  private void answerCompleted(long nowMillis) {
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter waiter = it.next();
      Status status = status(waiter.seq(), nowMillis);
      if (status.complete()) {
        it.remove();
        waiter.answer().accept(status);
      }
    }
  }

  /** Forgets devices that no longer count, so a merchant with churning devices stays small. */
  public void prune(long nowMillis) {
    devices.values().removeIf(k -> k.sessions == 0 && nowMillis - k.lastSeenMillis > recentWindow.toMillis());
  }
}
