package io.lockstep.domain;

import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A delete of an item and the upserts that re-created it (upserts whose base covered the delete).
 * A tombstone with no re-creator is live: the item is deleted while any tombstone is live.
 */
public record Tombstone(Dot delete, List<Dot> recreatedBy) {

  public Tombstone {
    Objects.requireNonNull(delete, "delete");
    recreatedBy = List.copyOf(new TreeSet<>(recreatedBy));
  }

  public boolean live() {
    return recreatedBy.isEmpty();
  }

  /** Whether a writer that saw {@code base} saw this delete and no re-creation of it. */
  public boolean deletedIn(VersionVector base) {
    return base.covers(delete) && recreatedBy.stream().noneMatch(base::covers);
  }
}
