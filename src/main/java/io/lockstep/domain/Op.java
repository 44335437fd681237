package io.lockstep.domain;

import java.util.Objects;

/**
 * What a mutation does to one record. Item ops ({@link ItemOp}) touch a catalog item, order ops
 * ({@link OrderOp}) an order; {@link #recordId()} names the record. Constructors only reject
 * {@code null} (a programming error); business validation (empty ids, non-positive quantities,
 * negative prices…) is done by {@link MerchantState#apply}, which rejects with a reason.
 */
public sealed interface Op {

  /**
   * The longest text (id, name, SKU) any op may carry: a safety ceiling of the domain. The edge
   * enforces the configured, usually lower, {@code lockstep.limits.max-string-length}.
   */
  int MAX_TEXT_LENGTH = 4096;

  /** The id of the touched item or order. */
  String recordId();

  /** An op on a catalog item. */
  sealed interface ItemOp extends Op {
    String itemId();

    @Override
    default String recordId() {
      return itemId();
    }
  }

  /** An op on an order. */
  sealed interface OrderOp extends Op {
    String orderId();

    @Override
    default String recordId() {
      return orderId();
    }
  }

  /** Adds {@code delta} (may be negative: a sale) to the stock; deltas always commute. */
  record AdjustStock(String itemId, long delta) implements ItemOp {
    public AdjustStock {
      Objects.requireNonNull(itemId, "itemId");
    }
  }

  /** A stock take: the counted quantity. */
  record SetStock(String itemId, long count) implements ItemOp {
    public SetStock {
      Objects.requireNonNull(itemId, "itemId");
    }
  }

  /** Creates or edits an item; a {@code null} field is left as it is. */
  record UpsertItem(String itemId, String name, String sku, Long priceCents) implements ItemOp {
    public UpsertItem {
      Objects.requireNonNull(itemId, "itemId");
    }
  }

  /** Deletes an item (a tombstone; an upsert that saw the delete re-creates it). */
  record DeleteItem(String itemId) implements ItemOp {
    public DeleteItem {
      Objects.requireNonNull(itemId, "itemId");
    }
  }

  /** Opens a new order. */
  record OpenOrder(String orderId) implements OrderOp {
    public OpenOrder {
      Objects.requireNonNull(orderId, "orderId");
    }
  }

  /** Adds a line to an open order. */
  record AddLine(String orderId, String lineId, String itemId, long quantity, long priceCents)
      implements OrderOp {
    public AddLine {
      Objects.requireNonNull(orderId, "orderId");
      Objects.requireNonNull(lineId, "lineId");
      Objects.requireNonNull(itemId, "itemId");
    }
  }

  /** Removes the line adds the writer had seen (observed remove). */
  record RemoveLine(String orderId, String lineId) implements OrderOp {
    public RemoveLine {
      Objects.requireNonNull(orderId, "orderId");
      Objects.requireNonNull(lineId, "lineId");
    }
  }

  /** Moves an order forward in the {@link OrderState} lattice. */
  record SetOrderState(String orderId, OrderState state) implements OrderOp {
    public SetOrderState {
      Objects.requireNonNull(orderId, "orderId");
      Objects.requireNonNull(state, "state");
    }
  }

  /** Records a payment; payments are an append-only set keyed by payment id. */
  record AddPayment(String orderId, String paymentId, long amountCents) implements OrderOp {
    public AddPayment {
      Objects.requireNonNull(orderId, "orderId");
      Objects.requireNonNull(paymentId, "paymentId");
    }
  }
}
