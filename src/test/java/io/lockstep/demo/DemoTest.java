package io.lockstep.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DemoTest {

  @Test
  void aSmallSeededRunConverges() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Demo.Verdict verdict = Demo.run(new Demo.Options(6, 2, Duration.ofSeconds(5), 42), out);
    String printed = bytes.toString(StandardCharsets.UTF_8);
    System.out.println(printed);
    assertTrue(verdict.converged(), verdict.problems() + "\n" + printed);
    assertTrue(verdict.mutations() > 50, "traffic happened: " + verdict.mutations());
    assertTrue(printed.contains("acked/s="), printed);
    assertTrue(printed.contains("CONVERGED"), printed);
  }

  @Test
  void optionsAreParsedWithDefaultsAndCheckedNamingTheBadValue() {
    assertEquals(new Demo.Options(6, 2, Duration.ofSeconds(20), 1), DemoCommand.parse(Map.of()));
    assertEquals(new Demo.Options(9, 3, Duration.ofSeconds(4), 7), DemoCommand.parse(
        Map.of("devices", "9", "merchants", "3", "seconds", "4", "seed", "7")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DemoCommand.parse(Map.of("devices", "many")));
    assertTrue(e.getMessage().contains("many"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> DemoCommand.parse(Map.of("devices", "2", "merchants", "3")));
    assertTrue(e.getMessage().contains("3"), e.getMessage());
  }
}
