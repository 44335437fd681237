package io.lockstep.domain;

import java.util.Optional;

/** Checks of a mutation that need no state: ids, signs and ranges. */
final class OpValidation {

  /** Largest accepted quantity, stock delta or count. */
  static final long MAX_QUANTITY = 1_000_000_000L;

  /** Largest accepted price or payment, in cents. */
  static final long MAX_CENTS = 1_000_000_000_000L;

  /** Longest accepted id, name or sku. */
  static final int MAX_TEXT = Op.MAX_TEXT_LENGTH;

  private OpValidation() {}

  /** Why the mutation is invalid, or empty when it is not. */
  static Optional<String> problem(Mutation m) {
    if (m.dot().deviceId().isEmpty()) {
      return Optional.of("empty device id");
    }
    if (m.dot().counter() < 1) {
      return Optional.of("counter must be at least 1: " + m.dot().counter());
    }
    return problem(m.op());
  }

  static Optional<String> problem(Op op) {
    if (op instanceof Op.AdjustStock a) {
      return first(id("itemId", a.itemId()), a.delta() == 0 ? "delta must not be 0" : null,
          range("delta", Math.abs(a.delta()), MAX_QUANTITY));
    }
    if (op instanceof Op.SetStock s) {
      return first(id("itemId", s.itemId()), s.count() < 0 ? "count < 0: " + s.count() : null,
          range("count", s.count(), MAX_QUANTITY));
    }
    if (op instanceof Op.UpsertItem u) {
      return first(id("itemId", u.itemId()), text("name", u.name()), text("sku", u.sku()),
          u.priceCents() == null ? null : cents("priceCents", u.priceCents()));
    }
    if (op instanceof Op.AddLine l) {
      return first(id("orderId", l.orderId()), id("lineId", l.lineId()), id("itemId", l.itemId()),
          l.quantity() <= 0 ? "quantity must be positive: " + l.quantity() : null,
          range("quantity", l.quantity(), MAX_QUANTITY), cents("priceCents", l.priceCents()));
    }
    if (op instanceof Op.RemoveLine r) {
      return first(id("orderId", r.orderId()), id("lineId", r.lineId()));
    }
    if (op instanceof Op.AddPayment p) {
      return first(id("orderId", p.orderId()), id("paymentId", p.paymentId()),
          p.amountCents() <= 0 ? "amountCents must be positive: " + p.amountCents() : null,
          range("amountCents", p.amountCents(), MAX_CENTS));
    }
    return first(id(op instanceof Op.ItemOp ? "itemId" : "orderId", op.recordId()));
  }

  private static String id(String name, String value) {
    if (value.isEmpty()) {
      return "empty " + name;
    }
    return text(name, value);
  }

  private static String text(String name, String value) {
    if (value != null && value.length() > MAX_TEXT) {
      return name + " longer than " + MAX_TEXT + ": " + value.length();
    }
    return null;
  }

  private static String cents(String name, long value) {
    return value < 0 ? name + " < 0: " + value : range(name, value, MAX_CENTS);
  }

  private static String range(String name, long value, long max) {
    return value > max ? name + " above " + max + ": " + value : null;
  }

  private static Optional<String> first(String... problems) {
    for (String problem : problems) {
      if (problem != null) {
        return Optional.of(problem);
      }
    }
    return Optional.empty();
  }
}
