package io.lockstep.rebalance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lockstep.rebalance.Rebalancer.Answer;
import io.lockstep.rebalance.Rebalancer.MoveRecord;
import io.lockstep.rebalance.Rebalancer.NodeLoad;
import io.lockstep.rebalance.Rebalancer.Outcome;
import io.lockstep.rebalance.Rebalancer.Status;
import io.lockstep.testing.KryoRoundTrip;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The rebalancer's queries, commands and replies cross nodes: they round-trip through Kryo with the shipped class list. */
@ExtendWith(LogCapturingExtension.class)
class RebalanceSerializationTest {
  static final ActorTestKit testKit = KryoRoundTrip.shippedConfig("serialization");

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyMessageRoundTrips() {
    var status = testKit.<Status>createTestProbe().ref();
    var plan = testKit.<Rebalancer.PlanReport>createTestProbe().ref();
    var answer = testKit.<Answer>createTestProbe().ref();
    var loads = testKit.<ShardLoadReporter.ShardLoads>createTestProbe().ref();
    Move move = new Move("7", "pekko://lockstep@a:1", "pekko://lockstep@b:1", 12.5, "hot");
    MoveRecord record = new MoveRecord(Instant.parse("2026-01-02T03:04:05.678Z"), "7", move.from(), move.to(), "hot");
    Status current = new Status(true, false, 1.4, List.of(new NodeLoad(move.from(), 20, 3, 1), new NodeLoad(move.to(), 8.5, 2, 1)),
        List.of(record), List.of(record, record), Map.of("9", move.to()), "moved 1");
    for (Object message : List.of(
        new ShardLoadReporter.GetShardLoads(loads),
        new ShardLoadReporter.ShardLoads(move.from(), Map.of("1", 2.5, "7", 0.0)),
        new Rebalancer.GetStatus(status),
        new Rebalancer.GetPlan(plan),
        new Rebalancer.Suspend(answer),
        new Rebalancer.Resume(answer),
        new Rebalancer.Pin("7", move.to(), answer),
        new Rebalancer.Unpin("7", answer),
        current,
        new Answer(Outcome.INVALID, "no", current),
        new Rebalancer.PlanReport(new Plan(List.of(move), 1.5, 1.1, Optional.empty(), Optional.empty())),
        new Rebalancer.PlanReport(new Plan(List.of(move), 1.5, 1.3, Optional.empty(), Optional.of("per-node throttle: a in 2"))),
        new Rebalancer.PlanReport(Plan.hold(1.5, "fewer than two nodes")))) {
      assertEquals(message, KryoRoundTrip.roundTrip(testKit.system(), message));
    }
  }
}
