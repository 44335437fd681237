package io.lockstep.domain;

import java.util.Objects;

/** A resolved order line: {@code quantity} of {@code itemId} at {@code priceCents} each. */
public record OrderLine(String lineId, String itemId, long quantity, long priceCents) {
  public OrderLine {
    Objects.requireNonNull(lineId, "lineId");
    Objects.requireNonNull(itemId, "itemId");
  }
}
