package io.lockstep.api;

import io.lockstep.http.ProblemType;
import static io.lockstep.testing.HttpApi.json;
import static io.lockstep.testing.HttpApi.parse;
import static io.lockstep.testing.HttpApi.problem;
import static io.lockstep.testing.Mutations.noOp;
import static io.lockstep.testing.Mutations.upsertItem;
import static io.lockstep.testing.Mutations.openOrder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.LockstepNode;
import io.lockstep.api.v1.AckList;
import io.lockstep.api.v1.ChangeFeedPage;
import io.lockstep.api.v1.ConflictList;
import io.lockstep.api.v1.DeviceList;
import io.lockstep.api.v1.ItemList;
import io.lockstep.api.v1.OrderList;
import io.lockstep.api.v1.Problem;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Item;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Order;
import io.lockstep.protocol.v1.Push;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.security.OperatorPrincipal;
import io.lockstep.security.ServicePrincipal;
import io.lockstep.testing.HttpApi;
import io.lockstep.testing.TestDatabase;
import io.lockstep.testing.TestDevice;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The product API over real HTTP against a real node (sharding, JDBC journal). Runs on H2 by
 * default and on PostgreSQL with {@code -Ppostgres}.
 */
@Tag("postgres")
@ExtendWith(LogCapturingExtension.class)
class ProductApiTest {
  static TestDatabase database;
  static LockstepNode node;
  static HttpApi http;

  @BeforeAll
  static void start() throws Exception {
    database = TestDatabase.create(ProductApiTest.class);
    node = LockstepNode.start(database.config());
    http = new HttpApi(node.httpPort());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
    if (database != null) database.close();
  }

  static String service(String name, String merchant) {
    return node.tokens().mint(new ServicePrincipal(name, Optional.ofNullable(merchant)));
  }

  static String base(String merchant) {
    return "/v1/merchants/" + merchant;
  }

  static String pushBody(Mutation... mutations) {
    return json(Push.newBuilder().addAllMutations(List.of(mutations)).build());
  }

  static AckList push(String merchant, String token, Mutation... mutations) {
    HttpResponse<String> response = http.post(base(merchant) + "/mutations", token, pushBody(mutations));
    assertEquals(200, response.statusCode(), response.body());
    return parse(response.body(), AckList.newBuilder());
  }

  @Test
  void everyMerchantRouteChecksTheBearerToken() {
    String merchant = "auth";
    push(merchant, service("pos-backend", merchant), upsertItem(1, "coffee", "Coffee", 350));
    List<String> paths = List.of("/items", "/items/coffee", "/orders", "/orders/o1", "/changes", "/conflicts", "/devices");
    String otherMerchant = service("pos-backend", "someone-else");
    String device = node.tokens().mint(new DevicePrincipal(merchant, "register"));
    String operator = node.tokens().mint(new OperatorPrincipal("alice"));
    String unscoped = service("reporting", null);
    for (String path : paths) {
      String uri = base(merchant) + path;
      HttpResponse<String> none = http.get(uri, null);
      assertEquals(401, none.statusCode(), uri);
      assertEquals(ProblemType.UNAUTHENTICATED.uri(), problem(none).getType());
      assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), uri);
      assertEquals(401, http.get(uri, "not-a-token").statusCode(), uri);
      assertEquals(403, http.get(uri, otherMerchant).statusCode(), uri);
      assertEquals(403, http.get(uri, device).statusCode(), uri);
      assertEquals(403, http.get(uri, operator).statusCode(), uri);
      int expected = path.equals("/orders/o1") ? 404 : 200;
      assertEquals(expected, http.get(uri, service("pos-backend", merchant)).statusCode(), uri);
      assertEquals(expected, http.get(uri, unscoped).statusCode(), uri);
    }
    String body = pushBody(upsertItem(2, "tea", "Tea", 250));
    assertEquals(401, http.post(base(merchant) + "/mutations", null, body).statusCode());
    assertEquals(403, http.post(base(merchant) + "/mutations", otherMerchant, body).statusCode());
    assertEquals(403, http.post(base(merchant) + "/mutations", device, body).statusCode());
    assertEquals(403, http.post(base(merchant) + "/mutations", operator, body).statusCode());
  }

  @Test
  void aServiceWritesAndReadsResolvedState() {
    String merchant = "write-read";
    String token = service("catalog", merchant);
    AckList acks = push(merchant, token, upsertItem(1, "coffee", "Coffee", 350), openOrder(2, "o1"));
    assertEquals(List.of(AckStatus.ACCEPTED, AckStatus.ACCEPTED), acks.getAcksList().stream().map(a -> a.getStatus()).toList());
    assertEquals(List.of(1L, 2L), acks.getAcksList().stream().map(a -> a.getSeq()).toList());

    ItemList items = parse(http.get(base(merchant) + "/items", token).body(), ItemList.newBuilder());
    assertEquals(2, items.getHeadSeq());
    assertEquals("Coffee", items.getItems(0).getName());
    assertEquals(1, items.getItems(0).getVersion().getCountersMap().get("catalog"), "written as the service's own device id");
    Item coffee = parse(http.get(base(merchant) + "/items/coffee", token).body(), Item.newBuilder());
    assertEquals(350, coffee.getPriceCents());
    OrderList orders = parse(http.get(base(merchant) + "/orders", token).body(), OrderList.newBuilder());
    assertEquals("o1", orders.getOrders(0).getOrderId());
    Order order = parse(http.get(base(merchant) + "/orders/o1", token).body(), Order.newBuilder());
    assertEquals("o1", order.getOrderId());

    HttpResponse<String> missing = http.get(base(merchant) + "/items/nope", token);
    assertEquals(404, missing.statusCode());
    assertEquals(ProblemType.NOT_FOUND.uri(), problem(missing).getType());
    ConflictList conflicts = parse(http.get(base(merchant) + "/conflicts", token).body(), ConflictList.newBuilder());
    assertEquals(0, conflicts.getConflictsCount());
  }

  @Test
  void aRetriedIdempotencyKeyReplaysTheFirstAnswerAndAppliesNothingTwice() {
    String merchant = "idempotent";
    String token = service("orders", merchant);
    String body = pushBody(upsertItem(1, "coffee", "Coffee", 350), upsertItem(2, "tea", "Tea", 250));
    HttpResponse<String> first = http.post(base(merchant) + "/mutations", token, body, "Idempotency-Key", "k-1");
    HttpResponse<String> retry = http.post(base(merchant) + "/mutations", token, body, "Idempotency-Key", "k-1");
    assertEquals(200, first.statusCode(), first.body());
    assertEquals(first.body(), retry.body());
    AckList acks = parse(retry.body(), AckList.newBuilder());
    assertEquals(AckStatus.ACCEPTED, acks.getAcks(1).getStatus(), "the replay is the first answer, not DUPLICATE");
    ItemList items = parse(http.get(base(merchant) + "/items", token).body(), ItemList.newBuilder());
    assertEquals(2, items.getHeadSeq(), "applied once");
  }

  @Test
  void badInputGetsAProblemAndAppliesNothing() {
    String merchant = "bad-input";
    String token = service("catalog", merchant);
    String uri = base(merchant) + "/mutations";

    Problem malformed = problem(http.post(uri, token, "{\"mutations\": [ {"));
    assertEquals(400, malformed.getStatus());
    assertEquals(ProblemType.MALFORMED_JSON.uri(), malformed.getType());

    Problem unknownField = problem(http.post(uri, token, "{\"nope\": 1}"));
    assertEquals(ProblemType.MALFORMED_JSON.uri(), unknownField.getType());

    HttpResponse<String> unknownOp = http.post(uri, token, pushBody(upsertItem(1, "a", "A", 1), noOp(2)));
    assertEquals(400, unknownOp.statusCode());
    assertEquals(ProblemType.UNKNOWN_OP.uri(), problem(unknownOp).getType());

    Mutation[] many = new Mutation[node.settings().limits().maxMutationsPerPush() + 1];
    for (int i = 0; i < many.length; i++) many[i] = upsertItem(i + 1, "i" + i, "I", 1);
    HttpResponse<String> tooMany = http.post(uri, token, pushBody(many));
    assertEquals(413, tooMany.statusCode());
    assertEquals(ProblemType.TOO_MANY_MUTATIONS.uri(), problem(tooMany).getType());

    String huge = pushBody(upsertItem(1, "big", "x".repeat(node.settings().limits().maxFrameBytes()), 1));
    try {
      HttpResponse<String> oversize = http.post(uri, token, huge);
      assertEquals(413, oversize.statusCode());
      assertEquals(ProblemType.PAYLOAD_TOO_LARGE.uri(), problem(oversize).getType());
    } catch (java.io.UncheckedIOException closedEarly) {
      // The server answers 413 and closes before reading the whole body; a client still writing
      // it then sees the connection close (broken pipe) instead of the response. Either way the
      // push is refused: the check below that nothing was applied holds for both.
    }

    Problem badParameter = problem(http.get(base(merchant) + "/changes?after=minus-one", token));
    assertEquals(ProblemType.INVALID_REQUEST.uri(), badParameter.getType());

    ItemList items = parse(http.get(base(merchant) + "/items", token).body(), ItemList.newBuilder());
    assertEquals(0, items.getHeadSeq(), "nothing was applied");
  }

  @Test
  void unknownRoutesAndMethodsAreProblems() {
    String token = service("catalog", null);
    HttpResponse<String> unknown = http.get("/v1/nothing-here", token);
    assertEquals(404, unknown.statusCode());
    assertEquals(ProblemType.NOT_FOUND.uri(), problem(unknown).getType());
    HttpResponse<String> wrongMethod = http.post(base("m") + "/items", token, "{}");
    assertEquals(405, wrongMethod.statusCode());
    assertEquals(ProblemType.METHOD_NOT_ALLOWED.uri(), problem(wrongMethod).getType());
  }

  @Test
  void theFeedResumesFromAnySeq() {
    String merchant = "feed";
    String token = service("search-indexer", merchant);
    for (int i = 1; i <= 5; i++) push(merchant, token, upsertItem(i, "item-" + i, "Item " + i, i));

    List<Long> seen = new ArrayList<>();
    long after = 0;
    ChangeFeedPage page;
    do {
      page = parse(http.get(base(merchant) + "/changes?limit=2&after=" + after, token).body(), ChangeFeedPage.newBuilder());
      page.getChangesList().forEach(c -> seen.add(c.getSeq()));
      assertEquals(5, page.getHeadSeq());
      after = page.getNextAfter();
    } while (page.getChangesCount() > 0);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seen);
    assertEquals(5, after);

    ChangeFeedPage rest = parse(http.get(base(merchant) + "/changes?after=3", token).body(), ChangeFeedPage.newBuilder());
    assertEquals(List.of(4L, 5L), rest.getChangesList().stream().map(c -> c.getSeq()).toList());
    assertEquals("item-4", rest.getChanges(0).getItem().getItemId());
    assertEquals("search-indexer", rest.getChanges(0).getDeviceId());
  }

  @Test
  void aLongPollReturnsAsSoonAsADevicePushes() throws Exception {
    String merchant = "long-poll";
    String token = service("search-indexer", merchant);
    long started = System.nanoTime();
    CompletableFuture<HttpResponse<String>> waiting = http.getAsync(base(merchant) + "/changes?after=0&wait=20", token);
    Thread.sleep(500);
    assertFalse(waiting.isDone(), "nothing to return yet");
    try (TestDevice register = TestDevice.hello(node.devicePort(), "register",
        node.tokens().mint(new DevicePrincipal(merchant, "register")), 0)) {
      register.welcome();
      register.push(upsertItem(1, "coffee", "Coffee", 350));
      register.ack();
      HttpResponse<String> response = waiting.get(10, TimeUnit.SECONDS);
      assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 10, "returned before the wait ran out");
      ChangeFeedPage page = parse(response.body(), ChangeFeedPage.newBuilder());
      assertEquals(1, page.getChangesCount());
      assertEquals("register", page.getChanges(0).getDeviceId());
      assertEquals(1, page.getNextAfter());

      DeviceList devices = parse(http.get(base(merchant) + "/devices", token).body(), DeviceList.newBuilder());
      var status = devices.getDevicesList().stream().filter(d -> d.getDeviceId().equals("register")).findFirst().orElseThrow();
      assertTrue(status.getConnected());
      assertEquals(1, status.getLastAckedCounter());
    }
  }

  @Test
  void aLongPollWithNothingNewReturnsEmptyAfterTheWait() {
    String merchant = "quiet";
    String token = service("search-indexer", merchant);
    push(merchant, token, upsertItem(1, "coffee", "Coffee", 350));
    long started = System.nanoTime();
    HttpResponse<String> response = http.get(base(merchant) + "/changes?after=1&wait=1", token);
    long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
    assertEquals(200, response.statusCode(), response.body());
    ChangeFeedPage page = parse(response.body(), ChangeFeedPage.newBuilder());
    assertEquals(0, page.getChangesCount());
    assertEquals(1, page.getNextAfter());
    assertTrue(millis >= 900 && millis < 8000, "waited about a second: " + millis + " ms");
  }

  @Test
  void theOpenApiDocumentIsServed() throws Exception {
    HttpResponse<String> response = http.get("/v1/openapi.yaml", null);
    assertEquals(200, response.statusCode());
    assertEquals(OpenApiDocumentTest.document(), response.body());
  }
}
