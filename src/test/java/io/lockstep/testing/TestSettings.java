package io.lockstep.testing;

import io.lockstep.config.EntitySettings;
import java.time.Duration;

/** Small, fast settings for tests that run an entity outside a node. */
public final class TestSettings {
  private TestSettings() {}

  /**
   * Snapshot every 100 events, a window of 5 changes (64 KiB), 2 changes per frame, 3 records per chunk,
   * journal catch-up up to 10 changes behind, 10,000 buffered mutations, 3 write attempts.
   */
  public static final EntitySettings ENTITY =
      new EntitySettings(100, 5, 64 * 1024, 2, 3, Duration.ofMinutes(2), Duration.ofSeconds(5),
          Duration.ofMillis(50), Duration.ofMillis(200), 10, 100, 10_000, Duration.ofMillis(500), 3,
          Duration.ofMinutes(10));
}
