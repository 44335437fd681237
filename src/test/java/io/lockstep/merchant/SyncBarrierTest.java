package io.lockstep.merchant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SyncBarrierTest {
  private static final long WINDOW = Duration.ofMinutes(10).toMillis();
  private final SyncBarrier barrier = new SyncBarrier(Duration.ofMillis(WINDOW));

  @Test
  void completeOnlyWhenEveryConnectedDeviceAppliedTheSeq() {
    barrier.connected("a", 3, 0);
    barrier.connected("b", 5, 0);
    assertFalse(barrier.status(5, 1).complete());
    assertTrue(barrier.status(3, 1).complete());
    barrier.seen("a", 5, 2);
    SyncBarrier.Status status = barrier.status(5, 3);
    assertTrue(status.complete());
    assertEquals(List.of(new SyncBarrier.Device("a", 5, true, 2), new SyncBarrier.Device("b", 5, true, 0)), status.devices());
  }

  @Test
  void aDisconnectedDeviceCountsUntilItAgesOutOfTheRecentWindow() {
    barrier.connected("a", 9, 0);
    barrier.connected("b", 2, 0);
    barrier.disconnected("b", 100);
    SyncBarrier.Status recent = barrier.status(9, 100 + WINDOW);
    assertFalse(recent.complete(), "b was seen within the window and is behind");
    assertFalse(recent.devices().get(1).connected());
    SyncBarrier.Status later = barrier.status(9, 100 + WINDOW + 1);
    assertTrue(later.complete());
    assertEquals(1, later.devices().size());
    barrier.prune(100 + WINDOW + 1);
    barrier.seen("b", 9, 100 + WINDOW + 2); // a report without a subscription does not count
    assertEquals(1, barrier.status(9, 100 + WINDOW + 2).devices().size());
  }

  @Test
  void aWaiterIsAnsweredWhenTheBarrierCompletesOrWhenItsWaitEnds() {
    barrier.connected("a", 1, 0);
    barrier.connected("b", 1, 0);
    List<SyncBarrier.Status> answers = new ArrayList<>();
    long completes = barrier.await(4, 0, answers::add);
    long expires = barrier.await(9, 0, answers::add);
    assertEquals(2, barrier.waiting());
    barrier.seen("a", 4, 1);
    assertTrue(answers.isEmpty(), "b is still behind");
    barrier.seen("b", 4, 2);
    assertEquals(1, answers.size());
    assertEquals(4, answers.get(0).seq());
    assertTrue(answers.get(0).complete());
    barrier.expire(completes, 3); // already answered: nothing more
    barrier.expire(expires, 3);
    assertEquals(2, answers.size());
    assertFalse(answers.get(1).complete());
    assertEquals(0, barrier.waiting());
  }

  @Test
  void aCompleteBarrierIsAnsweredAtOnceAndAppliedSeqsNeverGoBack() {
    barrier.connected("a", 7, 0);
    barrier.seen("a", 3, 1);
    List<SyncBarrier.Status> answers = new ArrayList<>();
    assertEquals(-1, barrier.await(7, 1, answers::add));
    assertEquals(1, answers.size());
    assertEquals(7, answers.get(0).devices().get(0).appliedSeq());
  }
}
