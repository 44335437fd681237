package io.lockstep.merchant;

import io.lockstep.protocol.v1.AckStatus;

/**
 * What a merchant entity reports about its work, for metrics and the operator's load views.
 * Called on the entity's own thread: implementations must be fast and must not block.
 */
public interface MerchantObserver {

  /** An observer that ignores everything. */
  MerchantObserver NONE = new MerchantObserver() {};

  /** The entity started (after recovery) or stopped on this node. */
  default void started(String merchantId, long headSeq) {}

  default void stopped(String merchantId) {}

  /** One journal write committed: {@code events} stored, taking {@code writeNanos}. */
  default void written(String merchantId, int events, long writeNanos, long headSeq) {}

  /** Mutations answered with {@code status}. */
  default void acknowledged(String merchantId, AckStatus status, int count) {}

  /** A push refused with {@code code} ({@code busy}, {@code unavailable}); nothing of it stored. */
  default void refused(String merchantId, String code) {}

  /** A concurrent edit resolved by {@code rule}. */
  default void conflict(String merchantId, String rule) {}

  /** One change batch sent to {@code subscribers} sessions, {@code nanos} after its write began. */
  default void fannedOut(String merchantId, int subscribers, long nanos) {}

  /**
   * One committed write's traffic: {@code bytesIn} encoded mutation bytes stored, {@code bytesOut}
   * change-frame bytes sent to subscribers (each subscriber's copy counted).
   */
  default void transferred(String merchantId, long bytesIn, long bytesOut) {}

  /** A subscriber caught up with {@code changes} changes (0 for a snapshot) or a snapshot of {@code records}. */
  default void caughtUp(String merchantId, int changes, boolean snapshot) {}

  /** A device subscribed after a seq above the merchant's head; it is reset to a snapshot. */
  default void deviceAhead(String merchantId) {}

  /** The number of subscribed sessions changed. */
  default void subscribers(String merchantId, int count) {}

  /** A journal write failed (the entity restarted and writes the batch again, or gives up). */
  default void writeFailed(String merchantId) {}
}
