package io.lockstep.testing.history;

import static io.lockstep.protocol.v1.AckStatus.ACCEPTED;
import static io.lockstep.protocol.v1.AckStatus.DUPLICATE;
import static io.lockstep.protocol.v1.AckStatus.REJECTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.protocol.v1.Item;
import io.lockstep.testing.history.History.Dot;
import io.lockstep.testing.history.History.Ordered;
import io.lockstep.testing.history.Verdict.Kind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The checker over hand-made histories: a good one passes, each bad one is named for what broke. */
class HistoryCheckerTest {

  /** Two devices; a writes 1..3 (seqs 1..3), b writes one (seq 4); both see 1..4; both converge. */
  private static History good() {
    History h = new History();
    h.connected("a", 0);
    h.connected("b", 0);
    for (int c = 1; c <= 3; c++) {
      h.pushed("a", c, "UPSERT_ITEM");
      h.acked("a", c, ACCEPTED, c);
    }
    h.pushed("b", 1, "ADJUST_STOCK");
    h.acked("b", 1, ACCEPTED, 4);
    for (String device : List.of("a", "b")) {
      for (int seq = 1; seq <= 3; seq++) h.received(device, seq, "a", seq);
      h.received(device, 4, "b", 1);
    }
    h.serverOrder(order("a#1", "a#2", "a#3", "b#1"));
    h.serverState(state(3));
    h.finalReplica("a", state(3));
    h.finalReplica("b", state(3));
    return h;
  }

  /** Device c connects after {@code afterSeq} and receives {@code seqs} of {@link #good()}'s order. */
  private static History cReceives(History h, long afterSeq, long... seqs) {
    h.connected("c", afterSeq);
    for (long seq : seqs) h.received("c", seq, seq == 4 ? "b" : "a", seq == 4 ? 1 : seq);
    return h;
  }

  private static List<Ordered> order(String... dots) {
    return java.util.stream.IntStream.range(0, dots.length)
        .mapToObj(i -> new Ordered(i + 1, dot(dots[i])))
        .toList();
  }

  private static Dot dot(String text) {
    String[] parts = text.split("#");
    return new Dot(parts[0], Long.parseLong(parts[1]));
  }

  private static Map<String, Item> state(long stock) {
    return Map.of("item/coffee", Item.newBuilder().setItemId("coffee").setName("Coffee").setStock(stock).build());
  }

  private static void assertOnly(Kind kind, History history) {
    Verdict verdict = HistoryChecker.check(history);
    assertEquals(List.of(kind), verdict.kinds(), verdict::toString);
  }

  @Test
  void aGoodHistoryPasses() {
    Verdict verdict = HistoryChecker.check(good());
    assertTrue(verdict.ok(), verdict::toString);
    assertTrue(verdict.toString().startsWith("history valid"), verdict::toString);
  }

  @Test
  void aRejectedMutationNeedNotAppearButADuplicateAckMust() {
    History rejected = good();
    rejected.acked("a", 4, REJECTED, 0);
    assertTrue(HistoryChecker.check(rejected).ok(), () -> HistoryChecker.check(rejected).toString());

    History duplicate = good();
    duplicate.acked("a", 2, DUPLICATE, 0);
    assertTrue(HistoryChecker.check(duplicate).ok(), () -> HistoryChecker.check(duplicate).toString());
    duplicate.acked("a", 9, DUPLICATE, 0);
    assertOnly(Kind.LOST, duplicate);
  }

  @Test
  void anAcknowledgedMutationMissingFromTheOrderIsLost() {
    History h = good();
    h.pushed("b", 2, "ADJUST_STOCK");
    h.acked("b", 2, ACCEPTED, 5);
    assertOnly(Kind.LOST, h);
    assertTrue(HistoryChecker.check(h).toString().contains("b#2"), () -> HistoryChecker.check(h).toString());
  }

  @Test
  void theOrderIsReconstructedFromDeliveriesWhenTheServerGaveNone() {
    History h = new History();
    h.connected("a", 0);
    h.acked("a", 1, ACCEPTED, 1);
    h.acked("a", 2, ACCEPTED, 2);
    h.received("a", 1, "a", 1);
    assertOnly(Kind.LOST, h); // no one saw a#2
    h.received("a", 2, "a", 2);
    assertTrue(HistoryChecker.check(h).ok(), () -> HistoryChecker.check(h).toString());
  }

  @Test
  void aMutationAtTwoSeqsIsDuplicated() {
    History h = good();
    h.serverOrder(order("a#1", "a#2", "a#3", "b#1", "a#3"));
    assertOnly(Kind.DUPLICATED, h);
  }

  @Test
  void twoMutationsAtOneSeqIsASeqReused() {
    History h = good();
    h.connected("c", 3);
    h.received("c", 4, "c", 1); // the server's order has b#1 at seq 4
    assertOnly(Kind.SEQ_REUSED, h);
    Verdict verdict = HistoryChecker.check(h);
    assertTrue(verdict.toString().contains("seq 4 given to b#1 (seen by a, b, server) and c#1 (seen by c)"), verdict::toString);
  }

  @Test
  void anAckNamingAnotherSeqThanTheOrderIsAMismatch() {
    History h = new History();
    h.connected("a", 0);
    h.acked("a", 1, ACCEPTED, 2);
    h.received("a", 1, "a", 1);
    h.serverOrder(order("a#1"));
    assertOnly(Kind.ACK_SEQ_MISMATCH, h);
  }

  @Test
  void aHoleInADevicesDeliveryIsAGap() {
    History h = cReceives(good(), 0, 1, 4);
    assertOnly(Kind.DELIVERY_GAP, h);
    assertTrue(HistoryChecker.check(h).toString().contains("missing 2..3"), () -> HistoryChecker.check(h).toString());
  }

  @Test
  void deliveryStartsAfterTheHellosAfterSeq() {
    History h = cReceives(good(), 2, 3, 4);
    assertTrue(HistoryChecker.check(h).ok(), () -> HistoryChecker.check(h).toString());
    cReceives(h, 1, 3); // a reconnect after 1 must be sent 2 next
    assertOnly(Kind.DELIVERY_GAP, h);
  }

  @Test
  void aSeqBelowTheLastReceivedIsOutOfOrder() {
    History h = cReceives(good(), 0, 1, 3, 2);
    Verdict verdict = HistoryChecker.check(h);
    assertEquals(List.of(Kind.DELIVERY_GAP, Kind.DELIVERY_OUT_OF_ORDER), verdict.kinds(), verdict::toString);

    History repeat = good();
    repeat.received("a", 4, "b", 1);
    assertOnly(Kind.DELIVERY_OUT_OF_ORDER, repeat);
  }

  @Test
  void aSnapshotHealsAGap() {
    History h = cReceives(good(), 0, 1);
    h.snapshot("c", 3);
    h.received("c", 4, "b", 1);
    assertTrue(HistoryChecker.check(h).ok(), () -> HistoryChecker.check(h).toString());
  }

  @Test
  void aFinalReplicaUnlikeTheServersStateDiverged() {
    History h = good();
    h.finalReplica("b", state(2));
    assertOnly(Kind.DIVERGED, h);
    String text = HistoryChecker.check(h).toString();
    assertTrue(text.contains("item/coffee") && text.contains("stock: 2") && text.contains("stock: 3"), text);

    History missing = good();
    missing.finalReplica("a", Map.of());
    assertOnly(Kind.DIVERGED, missing);
  }

  @Test
  void everyViolationIsReportedNotJustTheFirst() {
    History h = good();
    h.acked("b", 7, ACCEPTED, 9);
    cReceives(h, 0, 2);
    h.finalReplica("c", Map.of());
    Verdict verdict = HistoryChecker.check(h);
    assertEquals(List.of(Kind.LOST, Kind.DELIVERY_GAP, Kind.DIVERGED), verdict.kinds(), verdict::toString);
    assertEquals(3, verdict.violations().size(), verdict::toString);
  }
}
