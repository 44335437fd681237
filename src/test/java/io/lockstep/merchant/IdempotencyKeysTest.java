package io.lockstep.merchant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.merchant.MerchantEntity.PushResult;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Each row of {@link IdempotencyKeys}' table, the bound, and the empty key. */
class IdempotencyKeysTest {
  private final IdempotencyKeys<String> keys = new IdempotencyKeys<>(2);

  private static PushResult result(long seq) {
    return new PushResult(List.of(Ack.newBuilder().setCounter(1).setSeq(seq).setStatus(AckStatus.ACCEPTED).build()));
  }

  @Test
  void anUnknownKeyIsNeitherAnsweredNorAwaited() {
    assertEquals(Optional.empty(), keys.answered("catalog", "k"));
    assertFalse(keys.await("catalog", "k", "second"));
  }

  @Test
  void aKeyInFlightCollectsWaitersWhoGetTheAnswerOnce() {
    keys.begin("catalog", "k");
    assertTrue(keys.await("catalog", "k", "second"));
    assertTrue(keys.await("catalog", "k", "third"));
    assertEquals(List.of("second", "third"), keys.answer("catalog", "k", result(7)));
    assertEquals(Optional.of(result(7)), keys.answered("catalog", "k"));
    assertFalse(keys.await("catalog", "k", "fourth"), "answered: no longer in flight");
  }

  @Test
  void aRefusedKeyIsForgottenAndItsWaitersReturned() {
    keys.begin("catalog", "k");
    assertTrue(keys.await("catalog", "k", "second"));
    assertEquals(List.of("second"), keys.refuse("catalog", "k"));
    assertEquals(Optional.empty(), keys.answered("catalog", "k"));
    assertFalse(keys.await("catalog", "k", "third"), "a resend starts afresh");
  }

  @Test
  void keysArePerWriter() {
    keys.begin("catalog", "k");
    keys.answer("catalog", "k", result(1));
    assertEquals(Optional.empty(), keys.answered("billing", "k"));
  }

  @Test
  void theLeastRecentlyUsedAnsweredKeyIsDroppedFirst() {
    keys.answer("catalog", "a", result(1));
    keys.answer("catalog", "b", result(2));
    keys.answered("catalog", "a"); // a is now the more recently used
    keys.answer("catalog", "c", result(3));
    assertEquals(Optional.of(result(1)), keys.answered("catalog", "a"));
    assertEquals(Optional.empty(), keys.answered("catalog", "b"));
    assertEquals(Optional.of(result(3)), keys.answered("catalog", "c"));
  }

  @Test
  void anEmptyKeyIsNoKey() {
    keys.begin("d1", "");
    assertFalse(keys.await("d1", "", "second"));
    assertEquals(List.of(), keys.answer("d1", "", result(1)));
    assertEquals(Optional.empty(), keys.answered("d1", ""));
    assertEquals(List.of(), keys.refuse("d1", ""));
  }

  @Test
  void aCapacityBelowOneIsRefused() {
    var thrown = assertThrows(IllegalArgumentException.class, () -> new IdempotencyKeys<String>(0));
    assertEquals("capacity < 1: 0", thrown.getMessage());
  }
}
