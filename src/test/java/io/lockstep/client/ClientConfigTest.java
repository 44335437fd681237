package io.lockstep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The settings record: defaults, required parts, and every bad value named when it is built. */
class ClientConfigTest {

  private static ClientConfig.Builder valid() {
    return ClientConfig.builder().serverUri(URI.create("wss://pos.example.com/v1/devices/ws"))
        .deviceId("till-3").token(() -> "t").storePath(Path.of("till-3.store"));
  }

  @Test
  void theDefaultsAreThoseDocumented() {
    ClientConfig config = valid().build();
    assertEquals(Duration.ofMillis(200), config.minBackoff());
    assertEquals(Duration.ofSeconds(30), config.maxBackoff());
    assertEquals(Duration.ofSeconds(15), config.pingInterval());
    assertEquals(Duration.ofSeconds(10), config.connectTimeout());
    assertEquals(100, config.maxMutationsPerPush());
    assertEquals(4, config.maxPushesInFlight());
    assertEquals(16 * 1024 * 1024, config.maxFrameBytes());
    assertEquals(Optional.empty(), config.httpClient());
  }

  @Test
  void aMissingRequiredSettingIsNamed() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> valid().storePath(null).build());
    assertEquals("storePath is required", e.getMessage());
  }

  @Test
  void aBadValueIsRefusedWithItsName() {
    assertRefused("ws:// or wss://", valid().serverUri(URI.create("http://host/ws")));
    assertRefused("deviceId is blank", valid().deviceId(" "));
    assertRefused("pingInterval <= 0", valid().pingInterval(Duration.ZERO));
    assertRefused("connectTimeout <= 0", valid().connectTimeout(Duration.ofSeconds(-1)));
    assertRefused("maxMutationsPerPush < 1: 0", valid().maxMutationsPerPush(0));
    assertRefused("maxPushesInFlight < 1: 0", valid().maxPushesInFlight(0));
    assertRefused("maxFrameBytes < 1: -5", valid().maxFrameBytes(-5));
    assertThrows(IllegalArgumentException.class,
        () -> valid().backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)).build());
  }

  @Test
  void theBuilderMakesIndependentRecords() {
    ClientConfig.Builder builder = valid();
    ClientConfig first = builder.build();
    ClientConfig second = builder.deviceId("till-4").build();
    assertEquals("till-3", first.deviceId(), "a record does not change with its builder");
    assertEquals("till-4", second.deviceId());
  }

  private static void assertRefused(String expected, ClientConfig.Builder builder) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
