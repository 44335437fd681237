package io.lockstep.merchant;

import io.lockstep.merchant.MerchantEntity.PushResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code Idempotency-Key}s of one merchant's service pushes, per writer, so that a push sent
 * again is answered once and stored once. An empty key is no key: nothing is remembered for it.
 *
 * <pre>
 *  a push with key k       k answered               k in flight              k unknown
 *  answered / await        the cached result        waits for the first      -
 *  begin                   -                        -                        k in flight
 *  answer(k, result)       -                        cached; waiters told     -
 *  refuse(k)               -                        forgotten; waiters told  -
 * </pre>
 *
 * <p>At most {@code capacity} answered keys are kept, the least recently used dropped first; a
 * key is in flight from its first push being buffered until that push is answered or refused.
 * Kept in memory only: a restarted entity has forgotten them. {@code W} is who waits for an
 * answer. Confined to the entity's actor.
 */
final class IdempotencyKeys<W> {
  private final Map<String, PushResult> answered;
  private final Map<String, List<W>> inFlight = new HashMap<>();

  IdempotencyKeys(int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("capacity < 1: " + capacity);
    this.answered = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, PushResult> eldest) {
        return size() > capacity;
      }
    };
  }

  /** The result a push of {@code writer} with {@code key} was answered with, if still kept. */
  Optional<PushResult> answered(String writer, String key) {
    if (key.isEmpty()) return Optional.empty();
    return Optional.ofNullable(answered.get(keyOf(writer, key)));
  }

  /**
   * True when the first push of {@code writer} with {@code key} is still being written: then
   * {@code waiter} is told its answer too, and this push must not be stored.
   */
  boolean await(String writer, String key, W waiter) {
    if (key.isEmpty()) return false;
    List<W> waiting = inFlight.get(keyOf(writer, key));
    if (waiting == null) return false;
    waiting.add(waiter);
    return true;
  }

  /** The push of {@code writer} with {@code key} is buffered for the next write. */
  void begin(String writer, String key) {
    if (!key.isEmpty()) inFlight.put(keyOf(writer, key), new ArrayList<>());
  }

  /** Keeps {@code result} for {@code key}; returns the waiters to tell it. */
  List<W> answer(String writer, String key, PushResult result) {
    if (key.isEmpty()) return List.of();
    answered.put(keyOf(writer, key), result);
    return waiters(writer, key);
  }

  /** The push with {@code key} will not be stored: forgets it; returns the waiters to tell so. */
  List<W> refuse(String writer, String key) {
    if (key.isEmpty()) return List.of();
    return waiters(writer, key);
  }

  private List<W> waiters(String writer, String key) {
    List<W> waiting = inFlight.remove(keyOf(writer, key));
    return waiting != null ? List.copyOf(waiting) : List.of();
  }

  private static String keyOf(String writer, String key) {
    return writer + '\u0000' + key;
  }
}
