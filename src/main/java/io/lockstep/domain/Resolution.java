package io.lockstep.domain;

import java.util.List;

/** What a record's merge rules decided about one mutation; turned into an {@link Outcome}. */
sealed interface Resolution {

  /** Applied: the record after it and the conflicts resolved on the way. */
  record Applied(DomainRecord record, List<Conflict> conflicts) implements Resolution {
    public Applied {
      conflicts = List.copyOf(conflicts);
    }
  }

  /** Refused; nothing changes. */
  record Refused(String reason) implements Resolution {}

  /**
   * Refused but stored for its conflict record: the record gains the dot (so re-delivery is a
   * duplicate and arrival order does not matter) and keeps the refused input as hidden metadata.
   */
  record StoredRefusal(DomainRecord record, String reason, List<Conflict> conflicts)
      implements Resolution {
    public StoredRefusal {
      conflicts = List.copyOf(conflicts);
    }
  }
}
