package io.lockstep.domain;

import java.util.Objects;
import java.util.Optional;

/**
 * What {@link MerchantState#apply} decided. Every outcome carries the state after it.
 *
 * <pre>
 *   outcome                 stored?  headSeq / lastCounter   record
 *   Accepted                yes      advance                 gains the dot, changed
 *   Rejected with conflict  yes      advance                 gains the dot, view unchanged
 *   Rejected, no conflict   no       unchanged               unchanged
 *   Duplicate               no       unchanged               unchanged (already covers the dot)
 * </pre>
 */
public sealed interface Outcome {

  MerchantState state();

  /** Whether the entity must store the mutation (and fan out the record). */
  default boolean stored() {
    return this instanceof Accepted
        || this instanceof Rejected rejected && rejected.conflict().isPresent();
  }

  /**
   * Applied. {@code record} is the record after the mutation; {@code conflict} is the first
   * conflict resolved on the way (all of them are in {@link MerchantState#conflictsAt}).
   */
  record Accepted(MerchantState state, DomainRecord record, Optional<Conflict> conflict)
      implements Outcome {
    public Accepted {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(record, "record");
      Objects.requireNonNull(conflict, "conflict");
    }
  }

  /** Already applied: the record's version covers the dot. The state is unchanged. */
  record Duplicate(MerchantState state) implements Outcome {
    public Duplicate {
      Objects.requireNonNull(state, "state");
    }
  }

  /**
   * Not applied, with a reason for the writer. Without a conflict nothing changed. With a conflict
   * (a line added to an order concurrently paid) the mutation is stored: headSeq and the device's
   * last counter advance, the conflict is logged and the order's version gains the dot, while its
   * resolved view is otherwise unchanged.
   */
  record Rejected(MerchantState state, String reason, Optional<Conflict> conflict)
      implements Outcome {
    public Rejected {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(conflict, "conflict");
    }
  }
}
