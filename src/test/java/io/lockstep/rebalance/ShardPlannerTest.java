package io.lockstep.rebalance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShardPlannerTest {
  static final Membership SETTLED = Membership.settled("1.0.0");
  final ShardPlanner planner = new ShardPlanner(1.15, 2, 2, 1.0);

  static Layout skewed() {
    return new Layout(Map.of(
        "a", Map.of("1", 40.0, "2", 30.0, "3", 20.0, "4", 10.0),
        "b", Map.of("5", 10.0),
        "c", Map.of()));
  }

  @Test
  void movesTheShardThatBestEvensTheHottestAndColdestNodes() {
    Plan plan = planner.plan(skewed(), Set.of(), Set.of(), SETTLED);
    // a=100, b=10, c=0, mean 36.7: shard 1 (40) to c, then a=60, b=10 -> shard 2 (30) to b.
    assertEquals(List.of("1:a->c", "2:a->b"), moves(plan));
    assertEquals(100 / (110 / 3.0), plan.imbalanceBefore(), 1e-9);
    assertEquals(40 / (110 / 3.0), plan.imbalanceAfter(), 1e-9);
    assertEquals("a at 2.73 x mean load; shard load 40.00/s to the coldest node", plan.moves().get(0).reason());
    assertEquals(Optional.empty(), plan.held());
    assertEquals(Optional.empty(), plan.throttled(), "the move limit, not the throttle, ends this round");
  }

  @Test
  void pinnedAndCoolingShardsStay() {
    Plan plan = planner.plan(skewed(), Set.of("1"), Set.of("2"), SETTLED);
    assertEquals(List.of("3", "4"), plan.moves().stream().map(Move::shard).toList());
  }

  @Test
  void aNodeTakesPartInAtMostMaxMovesPerNodeConcurrentMoves() {
    // One move per node: after shard 1 goes a->c, a may not hand off a second shard this round.
    assertEquals(List.of("1:a->c"), moves(new ShardPlanner(1.15, 2, 1, 1.0).plan(skewed(), Set.of(), Set.of(), SETTLED)));
    // c still takes in two earlier moves: the coldest node with room is b; then a=60, b=50 and nothing fits.
    assertEquals(List.of("1:a->b"), moves(planner.plan(skewed(), Set.of(), Set.of(), SETTLED, Map.of("c", 2))));
    assertEquals(List.of(), moves(planner.plan(skewed(), Set.of(), Set.of(), SETTLED, Map.of("a", 2))),
        "the hottest node is handing off two shards already");
  }

  @Test
  void aRoundTheThrottleHoldsSaysSo() {
    Plan plan = planner.plan(skewed(), Set.of(), Set.of(), SETTLED, Map.of("a", 2, "b", 1));
    String throttle = "per-node throttle: a in 2 concurrent moves (max-moves-per-node 2)";
    assertEquals(Optional.of(throttle), plan.held());
    assertEquals(Optional.of(throttle), plan.throttled());
  }

  @Test
  void aRoundTheThrottleEndsSaysWhichNodesAreAtTheirLimit() {
    Plan plan = new ShardPlanner(1.15, 2, 1, 1.0).plan(skewed(), Set.of(), Set.of(), SETTLED);
    String throttle = "per-node throttle: a in 1, c in 1 concurrent moves (max-moves-per-node 1)";
    assertEquals(Optional.of(throttle), plan.throttled());
    assertEquals(Optional.empty(), plan.held());
    assertEquals("a at 2.73 x mean load; shard load 40.00/s to the coldest node; then " + throttle,
        plan.moves().get(0).reason(), "the last move's reason, which the history keeps");
  }

  @Test
  void aMoveTheThrottleSendsPastTheColdestNodeSaysSo() {
    Plan plan = planner.plan(skewed(), Set.of(), Set.of(), SETTLED, Map.of("c", 2));
    String throttle = "per-node throttle: c in 2 concurrent moves (max-moves-per-node 2)";
    assertEquals("a at 2.73 x mean load; shard load 40.00/s to b, the coldest node with room (" + throttle + "); then "
        + throttle, plan.moves().get(0).reason());
    assertEquals(Optional.of(throttle), plan.throttled(), "without it, shard 2 would go to c next");
  }

  @Test
  void aRoundThatMovesNothingForWantOfAFittingShardDoesNotBlameTheThrottle() {
    Layout oneHot = new Layout(Map.of("a", Map.of("1", 90.0), "b", Map.of("2", 5.0), "c", Map.of()));
    Plan plan = planner.plan(oneHot, Set.of(), Set.of(), SETTLED, Map.of("b", 2));
    assertEquals(List.of(), plan.moves());
    assertEquals(Optional.empty(), plan.throttled());
    assertEquals(Optional.empty(), plan.held());
  }

  private static List<String> moves(Plan plan) {
    return plan.moves().stream().map(m -> m.shard() + ":" + m.from() + "->" + m.to()).toList();
  }

  @Test
  void aShardTooHotToShareStaysWhereItIs() {
    Layout oneHot = new Layout(Map.of("a", Map.of("1", 90.0), "b", Map.of("2", 5.0)));
    Plan plan = planner.plan(oneHot, Set.of(), Set.of(), SETTLED);
    assertEquals(List.of(), plan.moves(), "moving it would only make b the hot node");
    assertEquals(Optional.empty(), plan.held());
    assertEquals(Optional.empty(), plan.throttled());
  }

  @Test
  void holdsWhileMembershipIsUnsettledALoadReportIsMissingOrTheClusterTooSmallOrIdle() {
    assertEquals(Optional.of("members unreachable: [b]"),
        planner.plan(skewed(), Set.of(), Set.of(), new Membership(Set.of("b"), Set.of(), Set.of("1"))).held());
    assertEquals(Optional.of("members joining or leaving: [d]"),
        planner.plan(skewed(), Set.of(), Set.of(), new Membership(Set.of(), Set.of("d"), Set.of("1"))).held());
    assertEquals(Optional.of("rolling update: app versions [1.0.0, 1.1.0]"),
        planner.plan(skewed(), Set.of(), Set.of(), new Membership(Set.of(), Set.of(), Set.of("1.0.0", "1.1.0"))).held());
    assertEquals(Optional.of("no load report from: [b]"),
        planner.plan(skewed(), Set.of(), Set.of(), SETTLED.unmeasured(Set.of("b"))).held());
    assertEquals(Optional.of("fewer than two nodes"),
        planner.plan(new Layout(Map.of("a", Map.of("1", 50.0))), Set.of(), Set.of(), SETTLED).held());
    Layout idle = new Layout(Map.of("a", Map.of("1", 0.5), "b", Map.of()));
    assertEquals(Optional.of("mean node load 0.25/s below min-mean-load 1.00/s"),
        planner.plan(idle, Set.of(), Set.of(), SETTLED).held());
    assertEquals(List.of(), planner.plan(idle, Set.of(), Set.of(), SETTLED).moves());
  }

  @Test
  void aBalancedClusterStaysPut() {
    Layout balanced = new Layout(Map.of("a", Map.of("1", 10.0, "2", 1.0), "b", Map.of("3", 10.0)));
    Plan plan = planner.plan(balanced, Set.of(), Set.of(), SETTLED);
    assertEquals(List.of(), plan.moves());
    assertEquals(11 / 10.5, plan.imbalanceBefore(), 1e-9);
  }

  @Test
  void limitsAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> new ShardPlanner(1.0, 2, 2, 0));
    assertThrows(IllegalArgumentException.class, () -> new ShardPlanner(1.15, 0, 2, 0));
    assertThrows(IllegalArgumentException.class, () -> new ShardPlanner(1.15, 2, 0, 0));
  }
}
