package io.lockstep.ops;

import static io.lockstep.testing.HttpApi.json;
import static io.lockstep.testing.HttpApi.parse;
import static io.lockstep.testing.HttpApi.problem;
import static io.lockstep.testing.Mutations.upsertItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.LockstepNode;
import io.lockstep.http.ProblemType;
import io.lockstep.ops.v1.MerchantLoad;
import io.lockstep.ops.v1.MerchantLoadList;
import io.lockstep.ops.v1.ShardPlacement;
import io.lockstep.protocol.v1.Push;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.security.OperatorPrincipal;
import io.lockstep.security.ServicePrincipal;
import io.lockstep.testing.HttpApi;
import io.lockstep.testing.TestDatabase;
import io.lockstep.testing.TestDevice;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The management port over real HTTP: open health and metrics, operator-only everything else. */
@Tag("postgres")
@ExtendWith(LogCapturingExtension.class)
class OperatorRoutesTest {
  static TestDatabase database;
  static LockstepNode node;
  static HttpApi management;
  static HttpApi api;
  static String operator;
  static String service;

  @BeforeAll
  static void start() throws Exception {
    database = TestDatabase.create(OperatorRoutesTest.class);
    node = LockstepNode.start(database.config());
    management = new HttpApi(node.managementPort());
    api = new HttpApi(node.httpPort());
    operator = node.tokens().mint(new OperatorPrincipal("alice"));
    service = node.tokens().mint(new ServicePrincipal("pos-backend", Optional.empty()));
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
    if (database != null) database.close();
  }

  static void push(String merchant, long counter) {
    String body = json(Push.newBuilder().addMutations(upsertItem(counter, "item-" + counter, "Item", 100)).build());
    HttpResponse<String> response = api.post("/v1/merchants/" + merchant + "/mutations", service, body);
    assertEquals(200, response.statusCode(), response.body());
  }

  @Test
  void healthChecksAreOpen() {
    org.awaitility.Awaitility.await().untilAsserted(() -> assertEquals(200, management.get("/ready", null).statusCode()));
    assertEquals(200, management.get("/alive", null).statusCode());
  }

  @Test
  void operatorRoutesNeedAnOperatorToken() {
    String device = node.tokens().mint(new DevicePrincipal("m", "d"));
    for (String path : List.of("/cluster/members", "/cluster/shards/Merchant", "/lockstep/hot-merchants", "/lockstep/shards",
        "/lockstep/merchants/m/load")) {
      HttpResponse<String> none = management.get(path, null);
      assertEquals(401, none.statusCode(), path);
      assertEquals(ProblemType.UNAUTHENTICATED.uri(), problem(none).getType());
      assertTrue(none.headers().firstValue("WWW-Authenticate").isPresent(), path);
      assertEquals(401, management.get(path, "garbage").statusCode(), path);
      assertEquals(403, management.get(path, service).statusCode(), path);
      assertEquals(403, management.get(path, device).statusCode(), path);
    }
    assertEquals(200, management.get("/cluster/members", operator).statusCode());
    HttpResponse<String> unknown = management.get("/lockstep/nothing", operator);
    assertEquals(404, unknown.statusCode());
    assertEquals(ProblemType.NOT_FOUND.uri(), problem(unknown).getType());
  }

  @Test
  void clusterWritesAreOffByDefault() {
    var request = management.request("/cluster/members/" + "pekko://lockstep@127.0.0.1:1", operator)
        .method("DELETE", java.net.http.HttpRequest.BodyPublishers.noBody()).build();
    int status = management.send(request).statusCode();
    assertTrue(status == 404 || status == 405, "read-only management refuses writes: " + status);
  }

  @Test
  void merchantLoadHotMerchantsAndShardPlacement() {
    push("busy", 1);
    push("busy", 2);
    push("busy", 3);
    push("calm", 1);
    try (TestDevice register = TestDevice.hello(node.devicePort(), "register",
        node.tokens().mint(new DevicePrincipal("busy", "register")), 0)) {
      register.welcome();
      HttpResponse<String> response = management.get("/lockstep/merchants/busy/load", operator);
      assertEquals(200, response.statusCode(), response.body());
      MerchantLoad busy = parse(response.body(), MerchantLoad.newBuilder());
      assertEquals(3, busy.getHeadSeq());
      assertEquals(1, busy.getConnectedDevices());
      assertTrue(busy.getMutationsPerSecond() > 0);
      assertTrue(busy.getLastWriteMillis() > 0);

      MerchantLoadList hot = parse(management.get("/lockstep/hot-merchants?top=1", operator).body(), MerchantLoadList.newBuilder());
      assertEquals(List.of("busy"), hot.getMerchantsList().stream().map(MerchantLoad::getMerchantId).toList());
      assertEquals(400, management.get("/lockstep/hot-merchants?top=0", operator).statusCode());

      ShardPlacement placement = parse(management.get("/lockstep/shards", operator).body(), ShardPlacement.newBuilder());
      assertEquals(1, placement.getNodesCount());
      assertTrue(placement.getNodes(0).getEntities() >= 2, placement.toString());
    }
    assertEquals(404, management.get("/lockstep/merchants/never-seen/load", operator).statusCode());
  }

  @Test
  void metricsAreOpenAndCountTraffic() {
    double before = sample(management.get("/metrics", null).body(), "lockstep_mutations_total{status=\"accepted\"}");
    push("metered", 1);
    push("metered", 2);
    HttpResponse<String> response = management.get("/metrics", null);
    assertEquals(200, response.statusCode());
    String text = response.body();
    assertEquals(before + 2, sample(text, "lockstep_mutations_total{status=\"accepted\"}"));
    for (String name : List.of("lockstep_journal_write_seconds_count", "lockstep_active_entities",
        "lockstep_connected_devices", "lockstep_journal_events_total", "jvm_memory_used_bytes")) {
      assertTrue(text.contains(name), name + " missing");
    }
    assertTrue(sample(text, "lockstep_journal_write_seconds_count") >= 2);
  }

  /** The value of one sample line, 0 when absent. */
  static double sample(String text, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
