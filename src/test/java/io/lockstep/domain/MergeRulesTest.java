package io.lockstep.domain;

import static io.lockstep.domain.Fixtures.applyAll;
import static io.lockstep.domain.Fixtures.device;
import static io.lockstep.domain.Fixtures.service;
import static io.lockstep.domain.Fixtures.vv;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** One worked example per merge rule; the same examples are in docs/merge-rules.md. */
class MergeRulesTest {

  /** A:1 creates item "latte" (price 450, stock counted 10): version {A:1…A:2}. */
  private static final MerchantState CATALOG = applyAll(MerchantState.empty(),
      device("A", 1, vv(), 1000, new Op.UpsertItem("latte", "Latte", "LAT-1", 450L)),
      device("A", 2, vv("A", 1), 1001, new Op.SetStock("latte", 10)));

  /** A:1 opens order "o1": version {A:1}. */
  private static final MerchantState ORDERS = applyAll(MerchantState.empty(),
      device("A", 1, vv(), 1000, new Op.OpenOrder("o1")),
      device("A", 2, vv("A", 1), 1001, new Op.AddLine("o1", "l1", "latte", 2, 450)));

  @Test
  void concurrentDeltasAllAddWithoutConflict() {
    MerchantState state = applyAll(CATALOG,
        device("B", 1, vv("A", 2), 2000, new Op.AdjustStock("latte", -2)),
        device("C", 1, vv("A", 2), 1500, new Op.AdjustStock("latte", 5)));
    assertEquals(13, state.items().get("latte").stock());
    assertTrue(state.conflicts().isEmpty());
  }

  @Test
  void stockTakeWinsPlusDeltasTheCounterHadNotSeen() {
    MerchantState state = applyAll(CATALOG,
        device("B", 1, vv("A", 2), 2000, new Op.AdjustStock("latte", -2)),
        device("C", 1, vv("A", 2), 2100, new Op.SetStock("latte", 7)));
    assertEquals(5, state.items().get("latte").stock());
    Conflict conflict = state.conflicts().get(0);
    assertEquals("stock-take-plus-unseen-deltas", conflict.rule());
    assertEquals(new Dot("B", 1), conflict.existing());
    assertEquals(new Dot("C", 1), conflict.winner());

    MerchantState reversed = applyAll(CATALOG,
        device("C", 1, vv("A", 2), 2100, new Op.SetStock("latte", 7)),
        device("B", 1, vv("A", 2), 2000, new Op.AdjustStock("latte", -2)));
    assertEquals(5, reversed.items().get("latte").stock());
  }

  @Test
  void concurrentStockTakesHighestStampWins() {
    Mutation early = device("B", 1, vv("A", 2), 2000, new Op.SetStock("latte", 8));
    Mutation late = device("C", 1, vv("A", 2), 2500, new Op.SetStock("latte", 9));
    assertEquals(9, applyAll(CATALOG, early, late).items().get("latte").stock());
    MerchantState reversed = applyAll(CATALOG, late, early);
    assertEquals(9, reversed.items().get("latte").stock());
    Conflict conflict = reversed.conflicts().get(0);
    assertEquals("stock-take-highest-stamp", conflict.rule());
    assertEquals(new Dot("C", 1), conflict.winner());
  }

  @Test
  void registerHighestAuthorityThenHlcWinsAndLoserIsKeptInConflict() {
    Mutation device = device("B", 1, vv("A", 2), 9000, new Op.UpsertItem("latte", null, null, 500L));
    Mutation service = service("svc", 1, vv("A", 2), 3000,
        new Op.UpsertItem("latte", null, null, 480L));
    MerchantState state = applyAll(CATALOG, device, service);
    assertEquals(480, state.items().get("latte").priceCents());
    Conflict conflict = state.conflicts().get(0);
    assertEquals("register-highest-stamp", conflict.rule());
    assertEquals("priceCents", conflict.field());
    assertEquals("500", conflict.existingValue());
    assertEquals(new Dot("svc", 1), conflict.winner());
    assertEquals(480, applyAll(CATALOG, service, device).items().get("latte").priceCents());
  }

  @Test
  void causallyLaterWriteReplacesEvenAHigherAuthority() {
    MerchantState state = applyAll(CATALOG,
        service("svc", 1, vv("A", 2), 3000, new Op.UpsertItem("latte", "Latte (S)", null, null)),
        device("B", 1, vv("A", 2, "svc", 1), 3001, new Op.UpsertItem("latte", "Latte L", null,
            null)));
    assertEquals("Latte L", state.items().get("latte").name());
    assertTrue(state.conflicts().isEmpty());
  }

  @Test
  void deleteWinsOverConcurrentUpdateAndAnUpsertThatSawItRecreates() {
    MerchantState state = applyAll(CATALOG,
        device("B", 1, vv("A", 2), 2000, new Op.DeleteItem("latte")),
        device("C", 1, vv("A", 2), 2500, new Op.UpsertItem("latte", null, null, 475L)));
    Item item = state.items().get("latte");
    assertTrue(item.deleted());
    assertEquals("delete-wins", state.conflicts().get(0).rule());
    assertEquals(new Dot("B", 1), state.conflicts().get(0).winner());

    Outcome refused = state.apply(state.headSeq() + 1,
        device("D", 1, vv("A", 2, "B", 1), 2600, new Op.AdjustStock("latte", 1)));
    assertEquals("item latte is deleted", ((Outcome.Rejected) refused).reason());

    MerchantState recreated = applyAll(state,
        device("D", 2, vv("A", 2, "B", 1, "C", 1), 2700, new Op.UpsertItem("latte", "Latte",
            null, null)));
    Item back = recreated.items().get("latte");
    assertFalse(back.deleted());
    assertEquals(475, back.priceCents());
  }

  @Test
  void removeOnlyRemovesObservedAddsSoAConcurrentAddWins() {
    Mutation remove = device("B", 1, vv("A", 2), 2000, new Op.RemoveLine("o1", "l1"));
    Mutation readd = device("C", 1, vv("A", 1), 1900, new Op.AddLine("o1", "l1", "mocha", 1, 500));
    for (MerchantState state : List.of(applyAll(ORDERS, remove, readd),
        applyAll(ORDERS, readd, remove))) {
      Order order = state.orders().get("o1");
      assertEquals(List.of("l1"), List.copyOf(order.lines().keySet()));
      assertEquals("mocha", order.lines().get("l1").itemId());
    }
    List<Conflict> conflicts = applyAll(ORDERS, readd, remove).conflicts();
    assertEquals("add-wins", conflicts.get(conflicts.size() - 1).rule());

    MerchantState observed = applyAll(ORDERS,
        device("B", 1, vv("A", 2), 2000, new Op.RemoveLine("o1", "l1")));
    assertTrue(observed.orders().get("o1").lines().isEmpty());
  }

  @Test
  void orderStateJoinsForwardAndPaidBeatsVoided() {
    Mutation voided = device("B", 1, vv("A", 2), 3000, new Op.SetOrderState("o1",
        OrderState.VOIDED));
    Mutation paid = device("C", 1, vv("A", 2), 2000, new Op.SetOrderState("o1", OrderState.PAID));
    MerchantState state = applyAll(ORDERS, paid, voided);
    assertEquals(OrderState.PAID, state.orders().get("o1").state());
    assertEquals("forward-only-join", state.conflicts().get(0).rule());
    assertEquals(new Dot("C", 1), state.conflicts().get(0).winner());
    assertEquals(OrderState.PAID, applyAll(ORDERS, voided, paid).orders().get("o1").state());

    Outcome backwards = state.apply(state.headSeq() + 1, device("C", 2, vv("A", 2, "C", 1), 4000,
        new Op.SetOrderState("o1", OrderState.LOCKED)));
    assertEquals("order o1 cannot move from PAID to LOCKED",
        ((Outcome.Rejected) backwards).reason());
  }

  @Test
  void paymentsAreAnAppendOnlySetKeyedById() {
    MerchantState state = applyAll(ORDERS,
        device("B", 1, vv("A", 2), 2000, new Op.AddPayment("o1", "card-1", 500)),
        device("C", 1, vv("A", 2), 2000, new Op.AddPayment("o1", "cash-1", 400)));
    assertEquals(List.of(new Payment("card-1", 500), new Payment("cash-1", 400)),
        List.copyOf(state.orders().get("o1").payments().values()));
    Outcome again = state.apply(state.headSeq() + 1,
        device("B", 2, vv("A", 2, "B", 1), 2100, new Op.AddPayment("o1", "card-1", 500)));
    assertInstanceOf(Outcome.Rejected.class, again);
  }

  @Test
  void lineAddedConcurrentlyWithPaymentIsRejectedStoredAndLogged() {
    MerchantState paid = applyAll(ORDERS,
        device("A", 3, vv("A", 2), 2000, new Op.SetOrderState("o1", OrderState.PAID)));
    Outcome outcome = paid.apply(4, device("B", 1, vv("A", 2), 1990,
        new Op.AddLine("o1", "l2", "cookie", 1, 250)));
    Outcome.Rejected rejected = assertInstanceOf(Outcome.Rejected.class, outcome);
    assertEquals("line-after-payment", rejected.conflict().orElseThrow().rule());
    assertEquals(4, rejected.state().headSeq());
    assertEquals(1, rejected.state().lastCounter("B"));
    assertEquals(List.of("l1"), List.copyOf(rejected.state().orders().get("o1").lines().keySet()));
    assertTrue(outcome.stored());
    assertTrue(rejected.state().orders().get("o1").version().covers(new Dot("B", 1)));
    Outcome redelivered = rejected.state().apply(5, device("B", 1, vv("A", 2), 1990,
        new Op.AddLine("o1", "l2", "cookie", 1, 250)));
    assertInstanceOf(Outcome.Duplicate.class, redelivered);

    Outcome known = paid.apply(4, device("C", 1, vv("A", 3), 2100,
        new Op.AddLine("o1", "l3", "cookie", 1, 250)));
    Outcome.Rejected plain = assertInstanceOf(Outcome.Rejected.class, known);
    assertTrue(plain.conflict().isEmpty());
    assertSame(paid, plain.state());
  }

  @Test
  void lineAddedBeforeAConcurrentPaymentArrivesIsHiddenByIt() {
    MerchantState state = applyAll(ORDERS,
        device("B", 1, vv("A", 2), 1990, new Op.AddLine("o1", "l2", "cookie", 1, 250)),
        device("A", 3, vv("A", 2), 2000, new Op.SetOrderState("o1", OrderState.PAID)));
    assertEquals(List.of("l1"), List.copyOf(state.orders().get("o1").lines().keySet()));
    assertEquals("line-after-payment", state.conflicts().get(0).rule());
  }

  @Test
  void redeliveryIsDuplicateAndAnOldUncoveredCounterIsRejected() {
    Mutation adjust = device("B", 2, vv("A", 2), 2000, new Op.AdjustStock("latte", -1));
    MerchantState state = applyAll(CATALOG, adjust);
    Outcome again = state.apply(state.headSeq() + 1, adjust);
    assertInstanceOf(Outcome.Duplicate.class, again);
    assertSame(state, again.state());

    // B:1 was never stored and "mocha" does not cover it: an old counter, not a re-delivery.
    Outcome old = state.apply(state.headSeq() + 1,
        device("B", 1, vv(), 1999, new Op.UpsertItem("mocha", "Mocha", null, 500L)));
    assertEquals("counter 1 not above device's last 2", ((Outcome.Rejected) old).reason());
    assertSame(state, old.state());
  }

  @Test
  void badInputIsRejectedWithAReasonNeverThrown() {
    assertRejected(ORDERS, new Op.AddLine("o1", "l9", "latte", 0, 100),
        "quantity must be positive: 0");
    assertRejected(ORDERS, new Op.AddLine("o1", "l9", "latte", 1, -1), "priceCents < 0: -1");
    assertRejected(ORDERS, new Op.AddLine("nope", "l9", "latte", 1, 1), "unknown order nope");
    assertRejected(ORDERS, new Op.AddPayment("o1", "", 100), "empty paymentId");
    assertRejected(CATALOG, new Op.AdjustStock("ghost", 1), "unknown item ghost");
    assertRejected(CATALOG, new Op.UpsertItem("", "x", null, null), "empty itemId");
    assertRejected(CATALOG, new Op.SetStock("latte", -3), "count < 0: -3");
    assertThrows(NullPointerException.class, () -> CATALOG.apply(9, null));
  }

  @Test
  void recordedWithoutCounterOrRecordOnlyMovesHeadSeqAndLogsTheConflicts() {
    Conflict logged = new Conflict(7, "latte", "name", "register-highest-stamp", new Dot("B", 1),
        "b", new Dot("C", 1), "c", new Dot("C", 1), "C kept");
    MerchantState next = CATALOG.recorded(7, "Z", 0, Optional.empty(), List.of(logged));
    assertEquals(7, next.headSeq());
    assertEquals(CATALOG.lastCounters(), next.lastCounters());
    assertEquals(CATALOG.items(), next.items());
    assertEquals(List.of(logged), next.conflictsAt(7));
    assertThrows(IllegalArgumentException.class,
        () -> next.recorded(7, "Z", 1, Optional.empty(), List.of()));
  }

  @Test
  void conflictLogKeepsTheNewestUpToItsCapacityOldestFirst() {
    MerchantState state = CATALOG.withConflictCapacity(2);
    for (long counter = 1; counter <= 4; counter++) {
      state = state.apply(state.headSeq() + 1, device("N" + counter, 1, vv("A", 2), 3000,
          new Op.UpsertItem("latte", "Name " + counter, null, null))).state();
    }
    assertEquals(List.of(5L, 6L), state.conflicts().stream().map(Conflict::seq).toList());
    assertEquals(List.of(), state.withConflictCapacity(0).conflicts());
  }

  private static void assertRejected(MerchantState state, Op op, String reason) {
    Outcome outcome = state.apply(state.headSeq() + 1,
        device("Z", 1, vv("A", 2), 5000, op));
    assertEquals(reason, ((Outcome.Rejected) outcome).reason());
    assertSame(state, outcome.state());
  }

  @Test
  void replicaShowsPendingOnTopOfResolvedAndDropsThemOnAck() {
    DeviceReplica replica = DeviceReplica.create("B")
        .withChange(2, CATALOG.items().get("latte").resolvedView());
    Mutation sale = device("B", 1, replica.baseFor(new Op.AdjustStock("latte", -1)), 3000,
        new Op.AdjustStock("latte", -1));
    replica = replica.submit(sale);
    assertEquals(9, replica.view().items().get("latte").stock());

    Outcome server = CATALOG.apply(3, sale);
    replica = replica.withChange(3, ((Outcome.Accepted) server).record().resolvedView())
        .acknowledged(1);
    assertTrue(replica.pending().isEmpty());
    assertEquals(server.state().resolvedView(), replica.view().resolvedView());
  }
}
