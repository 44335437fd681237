package io.lockstep.domain;

import java.util.Objects;

/** A resolved payment of an order. */
public record Payment(String paymentId, long amountCents) {
  public Payment {
    Objects.requireNonNull(paymentId, "paymentId");
  }
}
