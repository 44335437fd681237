package io.lockstep.rebalance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The planner over random load maps: it never exceeds the move limit nor the per-node limit
 * (counting moves in flight), never raises max/mean, never moves a pinned or cooling shard, and,
 * where every shard is small against the band, reaches the band in at most {@code ceil(shards /
 * min(maxMoves, maxMovesPerNode))} rounds and then stays put; and it names the per-node throttle
 * exactly where the throttle changed the plan.
 */
class ShardPlannerPropertiesTest {
  static final Membership SETTLED = Membership.settled("1.0.0");

  /** A cluster to plan for: nodes with shards, some pinned, some cooling, and the limits. */
  record Scenario(Layout layout, Set<String> pinned, Set<String> cooling, int maxMoves, int maxPerNode,
      Map<String, Integer> inFlight, double band) {}

  /** Up to 40 shards of load 0..100 on 1..6 nodes, some pinned, some cooling. */
  @Provide
  Arbitrary<Scenario> clusters() {
    return scenarios(1, 6, Arbitraries.doubles().between(0, 100).ofScale(2).list().ofMaxSize(40), 5, 1.01, 2.0, true);
  }

  /** Like {@link #clusters()}, with some moves of earlier rounds still in flight. */
  @Provide
  Arbitrary<Scenario> busyClusters() {
    return Combinators.combine(clusters(), Arbitraries.randoms()).as((c, random) -> {
      Map<String, Integer> inFlight = new TreeMap<>();
      c.layout().shardsByNode().keySet().forEach(node -> inFlight.put(node, random.nextInt(c.maxPerNode() + 1)));
      return new Scenario(c.layout(), c.pinned(), c.cooling(), c.maxMoves(), c.maxPerNode(), inFlight, c.band());
    });
  }

  /** Many small shards (load 0..1), nothing pinned or cooling. */
  @Provide
  Arbitrary<Scenario> smallShards() {
    return scenarios(2, 5, Arbitraries.doubles().between(0, 1).ofScale(3).list().ofMinSize(40).ofMaxSize(300), 8, 1.1, 1.5, false);
  }

  /** Shards piled on a random number of the nodes (node-0 always among them). */
  private static Arbitrary<Scenario> scenarios(int minNodes, int maxNodes, Arbitrary<List<Double>> loads, int maxMoves,
      double minBand, double maxBand, boolean pinsAndCooling) {
    return Combinators.combine(Arbitraries.integers().between(minNodes, maxNodes), loads, Arbitraries.randoms(),
            Arbitraries.integers().between(1, maxMoves), Arbitraries.doubles().between(minBand, maxBand))
        .as((n, shardLoads, random, moves, band) -> {
          int perNode = 1 + random.nextInt(moves + 1); // sometimes tighter than the round's limit, sometimes not
          Map<String, Map<String, Double>> byNode = emptyNodes(n);
          Set<String> pinned = new HashSet<>();
          Set<String> cooling = new HashSet<>();
          int hot = 1 + random.nextInt(n);
          for (int s = 0; s < shardLoads.size(); s++) {
            String shard = Integer.toString(s);
            byNode.get("node-" + random.nextInt(hot)).put(shard, shardLoads.get(s));
            int flag = pinsAndCooling ? random.nextInt(10) : -1;
            if (flag == 0) pinned.add(shard);
            if (flag == 1) cooling.add(shard);
          }
          return new Scenario(new Layout(byNode), pinned, cooling, moves, perNode, Map.of(), band);
        });
  }

  @Property(tries = 500)
  void neverExceedsTheMoveLimitNorRaisesMaxOverMean(@ForAll("clusters") Scenario c) {
    Plan plan = plan(c);
    assertTrue(plan.moves().size() <= c.maxMoves(), plan.toString());
    Layout after = c.layout();
    for (Move move : plan.moves()) {
      assertEquals(move.from(), after.nodeOf(move.shard()), "a move starts where its shard is: " + move);
      assertNotEquals(move.from(), move.to());
      double imbalance = after.imbalance();
      after = after.after(move);
      assertTrue(after.imbalance() <= imbalance + 1e-9, "move " + move + " raised max/mean");
    }
    assertEquals(after.imbalance(), plan.imbalanceAfter(), 1e-9);
    assertTrue(plan.imbalanceAfter() <= plan.imbalanceBefore() + 1e-9);
  }

  @Property(tries = 500)
  void neverRaisesMaxOverMeanWithMovesInFlight(@ForAll("busyClusters") Scenario c) {
    neverExceedsTheMoveLimitNorRaisesMaxOverMean(c);
  }

  @Property(tries = 500)
  void noNodeTakesPartInMoreConcurrentMovesThanItsLimit(@ForAll("busyClusters") Scenario c) {
    Map<String, Integer> concurrent = new TreeMap<>(c.inFlight());
    for (Move move : plan(c).moves()) {
      concurrent.merge(move.from(), 1, Integer::sum);
      concurrent.merge(move.to(), 1, Integer::sum);
    }
    concurrent.forEach((node, moves) -> assertTrue(moves <= c.maxPerNode(),
        node + " in " + moves + " moves, limit " + c.maxPerNode() + ", in flight " + c.inFlight()));
  }

  @Property(tries = 500)
  void pinnedAndCoolingShardsNeverMove(@ForAll("busyClusters") Scenario c) {
    Plan plan = plan(c);
    for (Move move : plan.moves()) {
      assertTrue(!c.pinned().contains(move.shard()) && !c.cooling().contains(move.shard()), move.toString());
    }
  }

  @Property(tries = 500)
  void withinTheBandNothingMoves(@ForAll("clusters") Scenario c) {
    double band = Math.max(c.band(), c.layout().imbalance() * (1 + 1e-9)); // the layout is in band
    assertEquals(List.of(), new ShardPlanner(band, c.maxMoves(), c.maxPerNode(), 0).plan(c.layout(), c.pinned(), c.cooling(), SETTLED).moves());
  }

  /**
   * The plan names the per-node throttle (in {@link Plan#throttled()} or a move's reason) exactly
   * when the throttle changed it: when a planner without it would move otherwise.
   */
  @Property(tries = 500)
  void thePlanNamesTheThrottleExactlyWhenItChangedThePlan(@ForAll("busyClusters") Scenario c) {
    Plan plan = plan(c);
    Plan unthrottled = new ShardPlanner(c.band(), c.maxMoves(), Integer.MAX_VALUE, 0)
        .plan(c.layout(), c.pinned(), c.cooling(), SETTLED, c.inFlight());
    boolean named = plan.throttled().isPresent() || plan.moves().stream().anyMatch(m -> m.reason().contains("per-node throttle"));
    assertEquals(!routes(plan).equals(routes(unthrottled)), named, plan + " against " + unthrottled);
    if (plan.throttled().isPresent() && plan.moves().isEmpty()) assertEquals(plan.throttled(), plan.held(), "why it holds");
    if (!plan.moves().isEmpty()) assertEquals(Optional.empty(), plan.held(), plan.toString());
  }

  private static List<String> routes(Plan plan) {
    return plan.moves().stream().map(m -> m.shard() + ":" + m.from() + "->" + m.to()).toList();
  }

  @Property(tries = 300)
  void theSamePictureGivesTheSamePlan(@ForAll("busyClusters") Scenario c) {
    assertEquals(plan(c), planner(c).plan(new Layout(new HashMap<>(c.layout().shardsByNode())), Set.copyOf(c.pinned()),
        c.cooling(), SETTLED, new HashMap<>(c.inFlight())));
  }

  @Property(tries = 300)
  void reachesTheBandInBoundedRoundsAndStaysPut(@ForAll("smallShards") Scenario c) {
    Layout layout = c.layout();
    int shards = layout.shardsByNode().values().stream().mapToInt(Map::size).sum();
    double mean = layout.nodeLoads().values().stream().mapToDouble(Double::doubleValue).sum() / layout.shardsByNode().size();
    double largest = layout.shardsByNode().values().stream().flatMap(m -> m.values().stream())
        .mapToDouble(Double::doubleValue).max().orElse(0);
    // Widen the band where needed so that every shard is at most (band - 1) x mean / 2.
    double band = Math.max(c.band(), 1 + 2 * largest / mean);
    ShardPlanner planner = new ShardPlanner(band, c.maxMoves(), c.maxPerNode(), 0);
    // A round that stops short of min(maxMoves, maxPerNode) moves is in band: the coldest node has
    // room until then, and every shard fits on it.
    int perRound = Math.min(c.maxMoves(), c.maxPerNode());
    int bound = (shards + perRound - 1) / perRound;
    Set<String> cooling = new HashSet<>(); // a moved shard cools for the rest of the run
    int rounds = 0;
    while (layout.imbalance() > band && rounds < bound) {
      Plan plan = planner.plan(layout, Set.of(), cooling, SETTLED);
      for (Move move : plan.moves()) {
        layout = layout.after(move);
        cooling.add(move.shard());
      }
      rounds++;
    }
    assertTrue(layout.imbalance() <= band, "after " + rounds + " rounds: " + layout.imbalance() + " > " + band);
    assertEquals(List.of(), planner.plan(layout, Set.of(), Set.of(), SETTLED).moves(), "stays put in band");
  }

  private static ShardPlanner planner(Scenario c) {
    return new ShardPlanner(c.band(), c.maxMoves(), c.maxPerNode(), 0);
  }

  private static Plan plan(Scenario c) {
    return planner(c).plan(c.layout(), c.pinned(), c.cooling(), SETTLED, c.inFlight());
  }

  private static Map<String, Map<String, Double>> emptyNodes(int n) {
    Map<String, Map<String, Double>> byNode = new TreeMap<>();
    for (int i = 0; i < n; i++) byNode.put("node-" + i, new TreeMap<>());
    return byNode;
  }

}
