package io.lockstep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.testing.RunningNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client never pushes faster than the server takes: its pushes are paced below the server's
 * per-device limit, and what the app writes meanwhile goes out in the next push.
 */
@org.junit.jupiter.api.extension.ExtendWith(org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension.class)
class PushPacingTest {

  /** A node that closes a session pushing more than 5 times a second ("rate-limited"). */
  @RegisterExtension
  static final RunningNode running = RunningNode.with("lockstep.limits.max-pushes-per-second = 5");

  @TempDir Path dir;

  @Test
  void theBucketHoldsOneSecondsWorthAndRefillsAtItsRate() {
    PushPacer pacer = new PushPacer(4, 0, null, () -> {});
    for (int i = 0; i < 4; i++) assertTrue(pacer.tryAcquire(0), "burst " + i);
    assertFalse(pacer.tryAcquire(0));
    assertEquals(250_000_000L, pacer.nanosUntilNext(0));
    assertFalse(pacer.tryAcquire(249_000_000L));
    assertTrue(pacer.tryAcquire(250_000_000L));
    assertTrue(pacer.tryAcquire(10_000_000_000L));
    assertEquals(0, pacer.nanosUntilNext(10_000_000_000L), "refilled, at most to its capacity");
    for (int i = 0; i < 3; i++) assertTrue(pacer.tryAcquire(10_000_000_000L));
    assertFalse(pacer.tryAcquire(10_000_000_000L), "capacity 4, not 40");
  }

  @Test
  void aPushRefusedForWantOfATokenIsRetriedOnceWhenThereIsOne() throws Exception {
    ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
    try {
      AtomicInteger retries = new AtomicInteger();
      PushPacer pacer = new PushPacer(20, thread, retries::incrementAndGet);
      thread.submit(() -> {
        while (pacer.tryAcquireOrRetry()) { } // the burst
        for (int i = 0; i < 10; i++) assertFalse(pacer.tryAcquireOrRetry());
      }).get();
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> retries.get() == 1);
      thread.schedule(() -> { }, 200, TimeUnit.MILLISECONDS).get();
      assertEquals(1, retries.get(), "ten refusals, one retry");
    } finally {
      thread.shutdownNow();
    }
  }

  @Test
  void aTillWritingFasterThanTheServersLimitIsNeverClosedForIt() throws Exception {
    List<String> states = new CopyOnWriteArrayList<>();
    ClientListener listener = new ClientListener() {
      @Override
      public void onConnectionState(ConnectionState state, String detail) {
        states.add(state + " " + detail);
      }
    };
    try (LockstepClient till = LockstepClient.open(running.client("pacing", "till", dir)
        .maxPushesPerSecond(4).maxPushesInFlight(8).listener(listener).build())) {
      till.start();
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> till.connectionState() == ConnectionState.CONNECTED);
      till.upsertItem("tea", "Tea", "T-1", 250L);
      for (int i = 0; i < 300; i++) { // 300 sales as fast as the app makes them: far above 5 pushes a second
        till.adjustStock("tea", -1);
        if (i % 30 == 0) Thread.sleep(20); // spread over a few hundred ms, so pushes go out between them
      }
      assertTrue(till.awaitSettled(Duration.ofSeconds(60)), "all acknowledged: " + till.view());
      assertEquals(-300, till.item("tea").orElseThrow().stock());
    }
    assertTrue(states.stream().noneMatch(s -> s.contains("rate-limited")), "closed as rate-limited: " + states);
    assertEquals(1, states.stream().filter(s -> s.startsWith("CONNECTED")).count(), "one connection throughout: " + states);
  }
}
