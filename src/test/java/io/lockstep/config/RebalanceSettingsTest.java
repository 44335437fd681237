package io.lockstep.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RebalanceSettingsTest {

  @Test
  void shippedDefaultsAreOffWithTheIssuesBand() {
    RebalanceSettings settings = LockstepSettings.from(LockstepConfig.load(Map.of(), ConfigFactory.empty())).rebalance();
    assertEquals(new RebalanceSettings(false, Duration.ofSeconds(30), 2, 2, Duration.ofMinutes(5), 1.15,
        Duration.ofSeconds(60), 5.0), settings);
  }

  @Test
  void theEnvironmentSwitchesItOn() {
    var config = LockstepConfig.load(Map.of("LOCKSTEP_REBALANCE_ENABLED", "on", "LOCKSTEP_REBALANCE_MAX_MOVES_PER_ROUND", "4"),
        ConfigFactory.empty());
    RebalanceSettings settings = LockstepSettings.from(config).rebalance();
    assertTrue(settings.enabled());
    assertEquals(4, settings.maxMovesPerRound());
    assertEquals(2, settings.maxMovesPerNode());
    var throttled = LockstepConfig.load(Map.of("LOCKSTEP_REBALANCE_MAX_MOVES_PER_NODE", "1"), ConfigFactory.empty());
    assertEquals(1, LockstepSettings.from(throttled).rebalance().maxMovesPerNode());
  }

  @Test
  void theAppVersionThatRevealsARollingUpdateComesFromTheEnvironment() {
    assertEquals("0.0.0", LockstepConfig.load(Map.of(), ConfigFactory.empty()).getString("pekko.cluster.app-version"));
    assertEquals("1.4.2", LockstepConfig.load(Map.of("LOCKSTEP_APP_VERSION", "1.4.2"), ConfigFactory.empty())
        .getString("pekko.cluster.app-version"));
  }

  @Test
  void outOfRangeValuesAreRefusedByName() {
    var band = assertThrows(IllegalArgumentException.class, () -> RebalanceSettings.from(ConfigFactory.parseString(
        "enabled = on, interval = 1s, max-moves-per-round = 1, max-moves-per-node = 1, cool-down = 1s, band = 1.0, load-half-life = 1s, min-mean-load = 0")));
    assertTrue(band.getMessage().contains("lockstep.rebalance.band"), band.getMessage());
    assertThrows(IllegalArgumentException.class, () -> RebalanceSettings.from(ConfigFactory.parseString(
        "enabled = on, interval = 1s, max-moves-per-round = 0, max-moves-per-node = 1, cool-down = 1s, band = 1.2, load-half-life = 1s, min-mean-load = 0")));
    assertThrows(IllegalArgumentException.class, () -> RebalanceSettings.from(ConfigFactory.parseString(
        "enabled = on, interval = 1s, max-moves-per-round = 1, max-moves-per-node = 0, cool-down = 1s, band = 1.2, load-half-life = 1s, min-mean-load = 0")));
  }
}
