package io.lockstep.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SeedNodeTest {

  @Test
  void blankMeansNoSeedNodes() {
    assertEquals(List.of(), SeedNode.parseList(""));
    assertEquals(List.of(), SeedNode.parseList("   "));
  }

  @Test
  void parsesCommaSeparatedHostPorts() {
    assertEquals(
        List.of(new SeedNode("node-a", 25520), new SeedNode("10.0.0.2", 25521), new SeedNode("::1", 25522)),
        SeedNode.parseList("node-a:25520,  10.0.0.2:25521 ,[::1]:25522"));
  }

  @Test
  void buildsPekkoAddresses() {
    assertEquals("pekko://lockstep@node-a:25520", new SeedNode("node-a", 25520).address("lockstep"));
    assertEquals("pekko://lockstep@[::1]:25520", new SeedNode("::1", 25520).address("lockstep"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"node-a", "node-a:", ":25520", "node-a:port", "node-a:0", "node-a:65536", "a:1,,b:2", "::1:25520"})
  void rejectsMalformedEntriesNamingThem(String list) {
    var e = assertThrows(IllegalArgumentException.class, () -> SeedNode.parseList(list));
    assertTrue(e.getMessage().contains("seed node"), e.getMessage());
  }
}
