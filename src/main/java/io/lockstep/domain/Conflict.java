package io.lockstep.domain;

import java.util.Objects;

/**
 * How one concurrent edit was resolved: the merchant seq of the mutation that caused the
 * resolution, the record and field, the rule applied, both inputs (dot and value as text) and the
 * winning dot. {@code detail} explains the outcome in one sentence. All components are non-null.
 */
public record Conflict(
    long seq,
    String recordId,
    String field,
    String rule,
    Dot incoming,
    String incomingValue,
    Dot existing,
    String existingValue,
    Dot winner,
    String detail) {

  public Conflict {
    Objects.requireNonNull(recordId, "recordId");
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(incoming, "incoming");
    Objects.requireNonNull(incomingValue, "incomingValue");
    Objects.requireNonNull(existing, "existing");
    Objects.requireNonNull(existingValue, "existingValue");
    Objects.requireNonNull(winner, "winner");
    Objects.requireNonNull(detail, "detail");
  }
}
