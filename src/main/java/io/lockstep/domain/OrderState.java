package io.lockstep.domain;

import java.util.Objects;

/**
 * The life cycle of an order as a forward-only lattice. The declaration order is the rank and
 * {@link #join} is the maximum, so concurrent state changes merge to the furthest state:
 *
 * <pre>
 *   OPEN ──▶ LOCKED ──▶ PAID ──▶ REFUNDED
 *     └────────▶ VOIDED ──┘   (paid beats voided; voided beats locked)
 * </pre>
 *
 * A device may only move an order to a state of higher rank than the one it saw; the state of an
 * order never moves backwards.
 */
public enum OrderState {
  OPEN,
  LOCKED,
  VOIDED,
  PAID,
  REFUNDED;

  /** The least upper bound: the state of higher rank. */
  public OrderState join(OrderState other) {
    Objects.requireNonNull(other, "other");
    return other.ordinal() > ordinal() ? other : this;
  }

  /** Whether a device that sees this state may move the order to {@code target}. */
  public boolean canMoveTo(OrderState target) {
    return target.ordinal() > ordinal();
  }

  /** Whether the order has been paid (PAID or REFUNDED): no line may be added any more. */
  public boolean isPaid() {
    return this == PAID || this == REFUNDED;
  }
}
