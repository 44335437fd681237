package io.lockstep;

import static io.lockstep.testing.HttpApi.json;
import static io.lockstep.testing.HttpApi.parse;
import static io.lockstep.testing.Mutations.addLine;
import static io.lockstep.testing.Mutations.adjustStock;
import static io.lockstep.testing.Mutations.openOrder;
import static io.lockstep.testing.Mutations.upsertItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.lockstep.api.v1.ItemList;
import io.lockstep.api.v1.OrderList;
import io.lockstep.ops.v1.HistoryDiff;
import io.lockstep.ops.v1.MerchantHistory;
import io.lockstep.ops.v1.RecordChange;
import io.lockstep.ops.v1.RuleDriftReport;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Push;
import io.lockstep.security.OperatorPrincipal;
import io.lockstep.security.ServicePrincipal;
import io.lockstep.testing.HttpApi;
import io.lockstep.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The merchant rebuilt from its journal: over the operator route while the node runs, and by the
 * {@code replay} command once it stopped, both against what the product API acknowledged.
 */
@Tag("postgres")
class ReplayTest {
  static final String MERCHANT = "replayed";
  static TestDatabase database;
  static ItemList itemsAtHead;
  static OrderList ordersAtHead;
  static ItemList itemsAtTwo;
  static MerchantHistory routeAtHead;
  static MerchantHistory routeAtTwo;
  static int unknownMerchantStatus;

  @BeforeAll
  static void writeThroughARunningNodeThenStopIt() throws Exception {
    database = TestDatabase.create(ReplayTest.class);
    try (LockstepNode node = LockstepNode.start(database.config())) {
      HttpApi http = new HttpApi(node.httpPort());
      HttpApi management = new HttpApi(node.managementPort());
      String service = node.tokens().mint(new ServicePrincipal("catalog", Optional.of(MERCHANT)));
      String operator = node.tokens().mint(new OperatorPrincipal("alice"));
      push(http, service, upsertItem(1, "coffee", "Coffee", 350), upsertItem(2, "tea", "Tea", 250));
      itemsAtTwo = parse(http.get("/v1/merchants/" + MERCHANT + "/items", service).body(), ItemList.newBuilder());
      push(http, service, adjustStock(3, "coffee", 12, io.lockstep.testing.Mutations.base(Map.of("catalog", 1L))),
          openOrder(4, "o1"), addLine(5, "o1", "l1", "coffee", 2), upsertItem(6, "tea", "Green tea", 275));
      itemsAtHead = parse(http.get("/v1/merchants/" + MERCHANT + "/items", service).body(), ItemList.newBuilder());
      ordersAtHead = parse(http.get("/v1/merchants/" + MERCHANT + "/orders", service).body(), OrderList.newBuilder());
      routeAtHead = parse(management.get("/lockstep/merchants/" + MERCHANT + "/history", operator).body(), MerchantHistory.newBuilder());
      routeAtTwo = parse(management.get("/lockstep/merchants/" + MERCHANT + "/history?at=2", operator).body(), MerchantHistory.newBuilder());
      unknownMerchantStatus = management.get("/lockstep/merchants/nobody/history", operator).statusCode();
    }
  }

  @AfterAll
  static void stop() {
    if (database != null) database.close();
  }

  private static void push(HttpApi http, String token, Mutation... mutations) {
    HttpResponse<String> response = http.post("/v1/merchants/" + MERCHANT + "/mutations", token,
        json(Push.newBuilder().addAllMutations(List.of(mutations)).build()));
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(!response.body().contains("REJECTED"), response.body());
  }

  private record Run(int code, String out, String err) {}

  private static Run replay(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] command = new String[args.length + 1];
    command[0] = "replay";
    System.arraycopy(args, 0, command, 1, args.length);
    int code = Main.run(command, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), database::config);
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static <B extends com.google.protobuf.Message.Builder> B parseJson(String json, B builder) throws Exception {
    JsonFormat.parser().merge(json, builder);
    return builder;
  }

  @Test
  void theRouteRebuildsWhatWasAcknowledgedAtTheHeadAndAtAnEarlierSeq() {
    assertEquals(6, routeAtHead.getSeq());
    assertEquals(6, routeAtHead.getHeadSeq());
    assertEquals(itemsAtHead.getItemsList(), routeAtHead.getItemsList());
    assertEquals(ordersAtHead.getOrdersList(), routeAtHead.getOrdersList());
    assertEquals(2, routeAtTwo.getSeq());
    assertEquals(6, routeAtTwo.getHeadSeq());
    assertEquals(itemsAtTwo.getItemsList(), routeAtTwo.getItemsList());
    assertEquals(0, routeAtTwo.getOrdersCount());
    assertEquals(404, unknownMerchantStatus);
  }

  @Test
  void theCommandPrintsTheAcknowledgedStateFromTheStoppedNodesDatabase() throws Exception {
    Run head = replay("--merchant", MERCHANT);
    assertEquals(0, head.code(), head.err());
    MerchantHistory history = parseJson(head.out(), MerchantHistory.newBuilder()).build();
    assertEquals(6, history.getSeq());
    assertEquals(itemsAtHead.getItemsList(), history.getItemsList());
    assertEquals(ordersAtHead.getOrdersList(), history.getOrdersList());

    Run two = replay("--merchant", MERCHANT, "--to-seq", "2");
    assertEquals(0, two.code(), two.err());
    assertEquals(itemsAtTwo.getItemsList(), parseJson(two.out(), MerchantHistory.newBuilder()).getItemsList());
  }

  @Test
  void diffListsEachRecordThatChangedBetweenTwoSeqsWithTheSeqsThatTouchedIt() throws Exception {
    Run run = replay("--merchant", MERCHANT, "--diff", "2", "6");
    assertEquals(0, run.code(), run.err());
    HistoryDiff diff = parseJson(run.out(), HistoryDiff.newBuilder()).build();
    assertEquals(List.of("coffee", "o1", "tea"), diff.getChangesList().stream().map(RecordChange::getRecordId).toList());
    RecordChange coffee = diff.getChanges(0);
    assertEquals(List.of(3L), coffee.getSeqsList());
    assertEquals(List.of(4L, 5L), diff.getChanges(1).getSeqsList());
    assertEquals(itemsAtTwo.getItems(0), coffee.getItemBefore());
    assertEquals(itemsAtHead.getItems(0), coffee.getItemAfter());
    RecordChange order = diff.getChanges(1);
    assertEquals(RecordChange.BeforeCase.BEFORE_NOT_SET, order.getBeforeCase());
    assertEquals(ordersAtHead.getOrders(0), order.getOrderAfter());
    assertEquals("Green tea", diff.getChanges(2).getItemAfter().getName());
  }

  @Test
  void checkFindsNoDriftWhenTheRulesAreTheOnesThatStoredTheJournal() throws Exception {
    Run run = replay("--merchant", MERCHANT, "--check");
    assertEquals(0, run.code(), run.out() + run.err());
    RuleDriftReport report = parseJson(run.out(), RuleDriftReport.newBuilder()).build();
    assertEquals(6, report.getChecked());
    assertEquals(0, report.getDriftsCount());
  }

  @Test
  void badUsageAndUnknownMerchantsAreRefusedWithAReason() {
    Run missing = replay("--to-seq", "3");
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("--merchant is required"), missing.err());
    Run bad = replay("--merchant", MERCHANT, "--diff", "5", "2");
    assertEquals(2, bad.code());
    Run unknown = replay("--merchant", "nobody");
    assertEquals(1, unknown.code());
    assertTrue(unknown.err().contains("stored nothing"), unknown.err());
  }
}
