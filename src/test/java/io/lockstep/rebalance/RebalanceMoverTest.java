package io.lockstep.rebalance;

import static io.lockstep.testing.HttpApi.json;
import static io.lockstep.testing.HttpApi.parse;
import static io.lockstep.testing.Mutations.upsertItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lockstep.LockstepNode;
import io.lockstep.ops.ShardPlacementQuery;
import io.lockstep.ops.v1.NodeShards;
import io.lockstep.ops.v1.RebalanceMove;
import io.lockstep.ops.v1.RebalanceStatus;
import io.lockstep.ops.v1.ShardEntities;
import io.lockstep.ops.v1.ShardPlacement;
import io.lockstep.protocol.v1.Push;
import io.lockstep.security.OperatorPrincipal;
import io.lockstep.security.ServicePrincipal;
import io.lockstep.testing.HttpApi;
import io.lockstep.testing.TestDatabase;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two nodes in one JVM on one database: two busy merchants whose shards both start on the first
 * node (with external allocation a shard without a location goes to the node that asks first);
 * the rebalancer moves one of them to the idle node, and every mutation sent is stored exactly
 * once, the writer resending whatever was answered unavailable during the hand-off. Then the
 * rebalancer's node leaves and the next singleton keeps the operators' pins and suspension.
 */
@ExtendWith(LogCapturingExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RebalanceMoverTest {
  static final Map<String, Object> REBALANCE = Map.of(
      "lockstep.rebalance.enabled", "on",
      "lockstep.rebalance.interval", "1s",
      "lockstep.rebalance.max-moves-per-round", 1,
      "lockstep.rebalance.cool-down", "30s",
      "lockstep.rebalance.load-half-life", "3s",
      "lockstep.rebalance.min-mean-load", 0.5,
      "pekko.cluster.sharding.rebalance-interval", "1s");

  static TestDatabase database;
  static LockstepNode first;
  static LockstepNode second;

  @BeforeAll
  static void start() throws Exception {
    database = TestDatabase.create(RebalanceMoverTest.class);
    first = LockstepNode.start(config(Map.of()));
    int seedPort = Cluster.get(first.system()).selfMember().address().getPort().orElseThrow();
    second = LockstepNode.start(config(Map.of("lockstep.remote.seed-nodes", "127.0.0.1:" + seedPort)));
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> upMembers(first) == 2 && upMembers(second) == 2);
  }

  static Config config(Map<String, Object> more) {
    return ConfigFactory.parseMap(more).withFallback(ConfigFactory.parseMap(REBALANCE)).withFallback(database.config()).resolve();
  }

  static long upMembers(LockstepNode node) {
    var members = Cluster.get(node.system()).state().getMembers();
    return java.util.stream.StreamSupport.stream(members.spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up()).count();
  }

  @AfterAll
  static void stop() {
    if (second != null) second.close();
    if (first != null) first.close();
    if (database != null) database.close();
  }

  @Test
  @Order(1)
  void aBusyShardMovesToTheIdleNodeAndNoMutationIsLost() throws Exception {
    String a = "busy-a";
    String b = merchantInAnotherShard(a);
    HttpApi api = new HttpApi(first.httpPort());
    String token = first.tokens().mint(new ServicePrincipal("pos-backend", Optional.empty()));
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong sentA = new AtomicLong();
    AtomicLong sentB = new AtomicLong();
    Thread writerA = writer(api, token, a, sentA, running);
    Thread writerB = writer(api, token, b, sentB, running);
    java.util.Queue<Throwable> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
    writerA.setUncaughtExceptionHandler((t, e) -> failures.add(e));
    writerB.setUncaughtExceptionHandler((t, e) -> failures.add(e));
    writerA.start();
    writerB.start();
    try {
      String shardA = Integer.toString(LoadLedger.shardOf(a, 256));
      String shardB = Integer.toString(LoadLedger.shardOf(b, 256));
      String secondNode = Cluster.get(second.system()).selfMember().address().toString();
      Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
        Map<String, String> placement = placement();
        String atA = placement.get(shardA);
        String atB = placement.get(shardB);
        return atA != null && atB != null && !atA.equals(atB) && (atA.equals(secondNode) || atB.equals(secondNode));
      });
      // The singleton's record, asked through the other node's management port (a remote ask).
      HttpApi management = new HttpApi(second.managementPort());
      String operator = second.tokens().mint(new OperatorPrincipal("alice"));
      RebalanceStatus status = parse(management.get("/lockstep/rebalance", operator).body(), RebalanceStatus.newBuilder());
      assertTrue(status.getEnabled());
      RebalanceMove move = status.getHistory(0);
      assertTrue(List.of(shardA, shardB).contains(move.getShard()), status.toString());
      assertEquals(secondNode, move.getTo());
      assertTrue(move.getReason().contains("x mean load"), move.getReason());
      for (var node : status.getNodesList()) { // each node's count is its part in the moves in flight
        long part = status.getInFlightList().stream().filter(m -> m.getFrom().equals(node.getNode()) || m.getTo().equals(node.getNode())).count();
        assertEquals(part, node.getMovesInFlight(), status.toString());
      }
      Thread.sleep(2000); // writes go on against the moved shard
    } finally {
      running.set(false);
      writerA.join(60_000);
      writerB.join(60_000);
    }
    assertEquals(List.of(), List.copyOf(failures), "writers answered other than 200 or 503");
    assertTrue(sentA.get() > 10 && sentB.get() > 10, sentA + " / " + sentB);
    assertEquals(sentA.get(), lastCounter(api, token, a), "every mutation of " + a + " stored once");
    assertEquals(sentB.get(), lastCounter(api, token, b), "every mutation of " + b + " stored once");
  }

  @Test
  @Order(2)
  void pinsAndSuspensionOutliveTheRebalancersNode() {
    HttpApi management = new HttpApi(second.managementPort());
    String operator = second.tokens().mint(new OperatorPrincipal("alice"));
    String secondNode = Cluster.get(second.system()).selfMember().address().toString();
    assertEquals(200, post(management, "/lockstep/shards/42/pin?node=" + secondNode, operator).statusCode());
    assertEquals(200, post(management, "/lockstep/rebalance/suspend", operator).statusCode());
    first.close(); // the oldest node: the rebalancer singleton moves to the second node
    first = null;
    Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      HttpResponse<String> response = management.get("/lockstep/rebalance", operator);
      assertEquals(200, response.statusCode(), response.body());
      RebalanceStatus status = parse(response.body(), RebalanceStatus.newBuilder());
      assertEquals(List.of(secondNode), status.getNodesList().stream().map(n -> n.getNode()).toList(), "the new singleton's picture");
      assertEquals(Map.of("42", secondNode), status.getPinsMap());
      assertTrue(status.getSuspended(), status.toString());
    });
  }

  private static HttpResponse<String> post(HttpApi api, String path, String token) {
    return api.send(api.request(path, token).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build());
  }

  /**
   * Sends upserts one by one (counter = item number); an unanswered or refused one is resent, also
   * after {@code running} ends, so that nothing stored is left unacknowledged.
   */
  private static Thread writer(HttpApi api, String token, String merchant, AtomicLong stored, AtomicBoolean running) {
    return new Thread(() -> {
      long counter = 1;
      boolean unanswered = false;
      while (running.get() || unanswered) {
        String body = json(Push.newBuilder().addMutations(upsertItem(counter, "item-" + counter, "Item", 100)).build());
        int status;
        String answer;
        try {
          HttpResponse<String> response = api.post("/v1/merchants/" + merchant + "/mutations", token, body);
          status = response.statusCode();
          answer = response.body();
        } catch (RuntimeException e) {
          status = 0; // no answer
          answer = e.toString();
        }
        unanswered = status != 200;
        if (status == 200) {
          stored.set(counter++);
        } else if (status != 503 && status != 0) {
          throw new AssertionError(merchant + ": " + status + " " + answer);
        }
      }
    }, "writer-" + merchant);
  }

  private static long lastCounter(HttpApi api, String token, String merchant) {
    HttpResponse<String> items = api.get("/v1/merchants/" + merchant + "/items", token);
    assertEquals(200, items.statusCode(), items.body());
    return java.util.regex.Pattern.compile("\"itemId\"").matcher(items.body()).results().count();
  }

  private static Map<String, String> placement() throws Exception {
    ShardPlacement placement = new ShardPlacementQuery(first.system(), Duration.ofSeconds(3)).placement()
        .toCompletableFuture().get();
    Map<String, String> byShard = new java.util.HashMap<>();
    for (NodeShards node : placement.getNodesList()) {
      for (ShardEntities shard : node.getShardsList()) byShard.put(shard.getShardId(), node.getNode());
    }
    return byShard;
  }

  private static String merchantInAnotherShard(String merchant) {
    for (int i = 0; ; i++) {
      String other = "busy-b" + i;
      if (LoadLedger.shardOf(other, 256) != LoadLedger.shardOf(merchant, 256)) return other;
    }
  }

}
