package io.lockstep.rebalance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lockstep.rebalance.Rebalancer.MoveRecord;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The moves in flight: what each node takes part in (the per-node throttle's count and the status's), until each is done. */
@ExtendWith(LogCapturingExtension.class)
class MovesInFlightTest {
  static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");
  final MovesInFlight inFlight = new MovesInFlight();

  static MoveRecord move(String shard, String from, String to, Instant at) {
    return new MoveRecord(at, shard, from, to, "test");
  }

  @Test
  void aMoveCountsForBothItsNodesUntilItsShardShowsAtItsTarget() {
    inFlight.start(move("1", "a", "c", T0));
    inFlight.start(move("2", "a", "b", T0));
    assertEquals(Map.of("a", 2, "b", 1, "c", 1), inFlight.perNode());

    Layout layout = new Layout(Map.of("a", Map.of("2", 5.0), "b", Map.of(), "c", Map.of("1", 7.0)));
    inFlight.settle(layout, T0.minusSeconds(1));
    assertEquals(List.of("2"), inFlight.list().stream().map(MoveRecord::shard).toList(), "shard 1 arrived");
    assertEquals(Map.of("a", 1, "b", 1), inFlight.perNode());
  }

  @Test
  void aNewMoveOfAShardReplacesItsOldOne() {
    inFlight.start(move("1", "a", "b", T0));
    inFlight.start(move("1", "a", "c", T0.plusSeconds(1)));
    assertEquals(Map.of("a", 1, "c", 1), inFlight.perNode());
  }

  @Test
  void aMoveStillElsewhereAtTheGiveUpTimeIsDropped() {
    inFlight.start(move("1", "a", "b", T0));
    Layout notThere = new Layout(Map.of("a", Map.of("1", 5.0), "b", Map.of()));
    inFlight.settle(notThere, T0);
    assertEquals(1, inFlight.list().size(), "started at the give-up time: still waited for");
    inFlight.settle(notThere, T0.plusMillis(1));
    assertEquals(Map.of(), inFlight.perNode());
  }

  @Test
  void theIntendedLayoutHasEveryMoveInFlightMade() {
    inFlight.start(move("1", "a", "b", T0));
    Layout layout = new Layout(Map.of("a", Map.of("1", 5.0, "2", 3.0), "b", Map.of()));
    assertEquals(new Layout(Map.of("a", Map.of("2", 3.0), "b", Map.of("1", 5.0))), inFlight.intended(layout));
  }
}
