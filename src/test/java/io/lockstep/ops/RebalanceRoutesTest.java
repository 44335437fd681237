package io.lockstep.ops;

import static io.lockstep.testing.HttpApi.json;
import static io.lockstep.testing.HttpApi.parse;
import static io.lockstep.testing.HttpApi.problem;
import static io.lockstep.testing.Mutations.upsertItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.lockstep.LockstepNode;
import io.lockstep.http.ProblemType;
import io.lockstep.protocol.v1.Push;
import io.lockstep.ops.v1.MerchantLoad;
import io.lockstep.ops.v1.RebalancePlan;
import io.lockstep.ops.v1.RebalanceStatus;
import io.lockstep.rebalance.Plan;
import io.lockstep.rebalance.Rebalancer;
import io.lockstep.rebalance.Rebalancer.MoveRecord;
import io.lockstep.rebalance.Rebalancer.NodeLoad;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.security.OperatorPrincipal;
import io.lockstep.security.ServicePrincipal;
import io.lockstep.testing.HttpApi;
import io.lockstep.testing.TestDatabase;
import io.lockstep.testing.TestDevice;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The rebalancer's operator routes over real HTTP, on a node with rebalancing on and one with it off. */
@ExtendWith(LogCapturingExtension.class)
class RebalanceRoutesTest {
  static TestDatabase database;
  static TestDatabase offDatabase;
  static LockstepNode node;
  static LockstepNode off;
  static HttpApi management;
  static String operator;
  static String self;

  @BeforeAll
  static void start() throws Exception {
    database = TestDatabase.create(RebalanceRoutesTest.class);
    offDatabase = TestDatabase.create(RebalanceRoutesTest.class, "off");
    node = LockstepNode.start(ConfigFactory.parseMap(Map.of("lockstep.rebalance.enabled", "on"))
        .withFallback(database.config()).resolve());
    off = LockstepNode.start(offDatabase.config());
    management = new HttpApi(node.managementPort());
    operator = node.tokens().mint(new OperatorPrincipal("alice"));
    self = Cluster.get(node.system()).selfMember().address().toString();
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
    if (off != null) off.close();
    if (database != null) database.close();
    if (offDatabase != null) offDatabase.close();
  }

  static HttpResponse<String> send(HttpApi api, String method, String path, String token) {
    return api.send(api.request(path, token).method(method, HttpRequest.BodyPublishers.noBody()).build());
  }

  static RebalanceStatus status(HttpResponse<String> response) {
    assertEquals(200, response.statusCode(), response.body());
    return parse(response.body(), RebalanceStatus.newBuilder());
  }

  @Test
  void everyRouteNeedsAnOperatorToken() {
    String service = node.tokens().mint(new ServicePrincipal("pos-backend", Optional.empty()));
    for (String[] route : List.of(new String[] {"GET", "/lockstep/rebalance"}, new String[] {"GET", "/lockstep/rebalance/plan"},
        new String[] {"POST", "/lockstep/rebalance/suspend"}, new String[] {"POST", "/lockstep/rebalance/resume"},
        new String[] {"POST", "/lockstep/shards/1/pin?node=" + self}, new String[] {"DELETE", "/lockstep/shards/1/pin"})) {
      assertEquals(401, send(management, route[0], route[1], null).statusCode(), route[1]);
      assertEquals(403, send(management, route[0], route[1], service).statusCode(), route[1]);
    }
  }

  @Test
  void statusPlanSuspendAndResume() {
    RebalanceStatus status = status(management.get("/lockstep/rebalance", operator));
    assertTrue(status.getEnabled());
    assertEquals(1.0, status.getImbalance(), 1e-9);
    assertEquals(List.of(self), status.getNodesList().stream().map(n -> n.getNode()).toList());
    String body = management.get("/lockstep/rebalance", operator).body();
    assertTrue(body.contains("\"inFlight\": []"), body);
    assertTrue(body.contains("\"movesInFlight\": 0"), "each node's moves in flight, 0 too: " + body);

    // Eventually (once this node's load reporter is registered) the only reason to hold is the size.
    org.awaitility.Awaitility.await().untilAsserted(() -> {
      HttpResponse<String> dryRun = management.get("/lockstep/rebalance/plan", operator);
      assertEquals(200, dryRun.statusCode(), dryRun.body());
      RebalancePlan plan = parse(dryRun.body(), RebalancePlan.newBuilder());
      assertEquals("fewer than two nodes", plan.getHeld());
      assertEquals(0, plan.getMovesCount());
      assertEquals("", plan.getThrottled());
    });

    RebalanceStatus suspended = status(send(management, "POST", "/lockstep/rebalance/suspend", operator));
    assertTrue(suspended.getSuspended());
    assertTrue(!suspended.getEnabled());
    assertTrue(!status(management.get("/lockstep/rebalance", operator)).getEnabled());
    RebalanceStatus resumed = status(send(management, "POST", "/lockstep/rebalance/resume", operator));
    assertTrue(resumed.getEnabled() && !resumed.getSuspended());
  }

  @Test
  void statusAndPlanShowThePerNodeThrottle() {
    String throttle = "per-node throttle: a in 2 concurrent moves (max-moves-per-node 2)";
    MoveRecord move = new MoveRecord(Instant.parse("2026-01-02T03:04:05Z"), "7", "a", "b",
        "a at 2.00 x mean load; shard load 9.00/s to the coldest node; then " + throttle);
    RebalanceStatus status = RebalanceRoutes.toProto(new Rebalancer.Status(true, false, 2.0,
        List.of(new NodeLoad("a", 40, 3, 2), new NodeLoad("b", 10, 1, 1)), List.of(move), List.of(move), Map.of(),
        "moved 1 (max/mean 2.00 -> 1.50); then " + throttle));
    assertEquals(List.of(2, 1), status.getNodesList().stream().map(n -> n.getMovesInFlight()).toList());
    assertEquals(move.reason(), status.getHistory(0).getReason());
    RebalancePlan plan = RebalanceRoutes.toProto(new Plan(List.of(), 2.0, 2.0, Optional.of(throttle), Optional.of(throttle)));
    assertEquals(throttle, plan.getHeld());
    assertEquals(throttle, plan.getThrottled());
  }

  @Test
  void pinAndUnpin() {
    double movesBefore = moves();
    RebalanceStatus pinned = status(send(management, "POST", "/lockstep/shards/17/pin?node=" + self, operator));
    assertEquals(Map.of("17", self), pinned.getPinsMap());
    assertEquals("17", pinned.getHistory(0).getShard());
    assertEquals(self, pinned.getHistory(0).getTo());
    assertEquals("pinned by an operator", pinned.getHistory(0).getReason());
    assertTrue(java.time.Instant.parse(pinned.getHistory(0).getAt()).isAfter(java.time.Instant.now().minusSeconds(60)));
    assertEquals(movesBefore + 1, moves());

    for (String bad : List.of("/lockstep/shards/256/pin?node=" + self, "/lockstep/shards/-1/pin?node=" + self,
        "/lockstep/shards/x/pin?node=" + self, "/lockstep/shards/3/pin", "/lockstep/shards/3/pin?node=pekko://lockstep@10.0.0.1:1")) {
      HttpResponse<String> refused = send(management, "POST", bad, operator);
      assertEquals(400, refused.statusCode(), bad + ": " + refused.body());
      assertEquals(ProblemType.INVALID_REQUEST.uri(), problem(refused).getType());
    }

    assertEquals(Map.of(), status(send(management, "DELETE", "/lockstep/shards/17/pin", operator)).getPinsMap());
    HttpResponse<String> again = send(management, "DELETE", "/lockstep/shards/17/pin", operator);
    assertEquals(404, again.statusCode(), again.body());
  }

  @Test
  void merchantLoadCarriesItsShardAndDecayedRates() {
    HttpApi api = new HttpApi(node.httpPort());
    String service = node.tokens().mint(new ServicePrincipal("pos-backend", Optional.empty()));
    for (long counter = 1; counter <= 3; counter++) {
      String body = json(Push.newBuilder().addMutations(upsertItem(counter, "item-" + counter, "Item", 100)).build());
      assertEquals(200, api.post("/v1/merchants/weighed/mutations", service, body).statusCode());
    }
    MerchantLoad load = merchantLoad("weighed");
    assertEquals(Integer.toString(io.lockstep.rebalance.LoadLedger.shardOf("weighed", 256)), load.getShardId());
    assertTrue(load.getBytesInPerSecond() > 0, load.toString());
    assertTrue(load.getBusy() > 0, load.toString());
    assertTrue(load.getLoadScore() > 0, load.toString());
    assertEquals(0, load.getBytesOutPerSecond(), 0, "no subscribers, nothing sent");
    assertEquals(0, load.getDeliveriesPerSecond(), 0, "no subscribers, nothing sent");
    try (TestDevice register = TestDevice.hello(node.devicePort(), "register",
        node.tokens().mint(new DevicePrincipal("weighed", "register")), 3)) {
      register.welcome();
      String body = json(Push.newBuilder().addMutations(upsertItem(4, "item-4", "Item", 100)).build());
      assertEquals(200, api.post("/v1/merchants/weighed/mutations", service, body).statusCode());
      org.awaitility.Awaitility.await().untilAsserted(() -> {
        MerchantLoad fannedOut = merchantLoad("weighed");
        assertTrue(fannedOut.getDeliveriesPerSecond() > 0, fannedOut.toString());
        assertTrue(fannedOut.getBytesOutPerSecond() > 0, fannedOut.toString());
      });
    }
    RebalanceStatus status = status(management.get("/lockstep/rebalance", operator));
    assertTrue(status.getNodes(0).getShards() >= 1, status.toString());
    assertTrue(status.getNodes(0).getLoad() > 0, status.toString());
    assertTrue(metric("lockstep_node_load") > 0, "the node's load gauge follows the ledger");
    assertTrue(metric("lockstep_node_shards") >= 1, "the node's shard gauge follows the ledger");
  }

  @Test
  void metricsShowNodeLoadShardsAndMoves() {
    String text = management.get("/metrics", null).body();
    for (String name : List.of("lockstep_node_load ", "lockstep_node_shards ", "lockstep_rebalance_moves_total ")) {
      assertTrue(text.contains("\n" + name), name + " missing, or with labels"); // a sample without labels
    }
  }

  @Test
  void offInConfigurationItOnlyReports() {
    HttpApi offManagement = new HttpApi(off.managementPort());
    String token = off.tokens().mint(new OperatorPrincipal("bob"));
    RebalanceStatus status = status(offManagement.get("/lockstep/rebalance", token));
    assertTrue(!status.getEnabled());
    for (String path : List.of("/lockstep/rebalance/suspend", "/lockstep/rebalance/resume",
        "/lockstep/shards/1/pin?node=" + Cluster.get(off.system()).selfMember().address())) {
      HttpResponse<String> refused = send(offManagement, "POST", path, token);
      assertEquals(400, refused.statusCode(), path + ": " + refused.body());
      assertTrue(problem(refused).getDetail().contains("lockstep.rebalance.enabled"), refused.body());
    }
  }

  private static MerchantLoad merchantLoad(String merchant) {
    HttpResponse<String> response = management.get("/lockstep/merchants/" + merchant + "/load", operator);
    assertEquals(200, response.statusCode(), response.body());
    return parse(response.body(), MerchantLoad.newBuilder());
  }

  private static double moves() {
    return metric("lockstep_rebalance_moves_total");
  }

  /** The value of the unlabelled sample {@code name} on this node's /metrics. */
  private static double metric(String name) {
    String text = management.get("/metrics", null).body();
    var matcher = java.util.regex.Pattern.compile("\n" + name + " ([0-9.eE+-]+)").matcher(text);
    assertTrue(matcher.find(), name + " missing");
    return Double.parseDouble(matcher.group(1));
  }
}
