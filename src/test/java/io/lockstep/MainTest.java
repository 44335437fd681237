package io.lockstep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lockstep.config.LockstepConfig;
import io.lockstep.config.LockstepSettings;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.security.OperatorPrincipal;
import io.lockstep.security.ServicePrincipal;
import io.lockstep.security.TokenService;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MainTest {

  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private Config config() {
    return LockstepConfig.load(Map.of(), ConfigFactory.parseMap(Map.of("lockstep.data-dir", dir.toString())));
  }

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        this::config);
  }

  private String stdout() {
    return out.toString(StandardCharsets.UTF_8).trim();
  }

  private TokenService tokens() throws Exception {
    return TokenService.create(LockstepSettings.from(config()).tokens());
  }

  @Test
  void deviceTokenUsesTheDevelopmentKeyOfTheDataDir() throws Exception {
    assertEquals(0, run("token", "--merchant", "m-1", "--device", "till-1"));
    assertEquals(new DevicePrincipal("m-1", "till-1"), tokens().verify(stdout()));
    assertTrue(Files.exists(dir.resolve("dev-signing-key.jwks")));
  }

  @Test
  void serviceAndOperatorTokens() throws Exception {
    assertEquals(0, run("token", "--service", "catalog", "--merchant=m-9", "--ttl", "2h"));
    assertEquals(new ServicePrincipal("catalog", Optional.of("m-9")), tokens().verify(stdout()));
    out.reset();
    assertEquals(0, run("token", "--service", "reporting"));
    assertEquals(new ServicePrincipal("reporting", Optional.empty()), tokens().verify(stdout()));
    out.reset();
    assertEquals(0, run("token", "--operator", "alice"));
    assertEquals(new OperatorPrincipal("alice"), tokens().verify(stdout()));
  }

  @Test
  void ttlAcceptsHoconDurations() {
    assertEquals(Duration.ofDays(30), Main.duration("30d"));
    assertEquals(Duration.ofMinutes(90), Main.duration("90 minutes"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "bogus",
        "token",
        "token --merchant m-1",
        "token --device d-1",
        "token --merchant m --device d --operator o",
        "token --operator o --merchant m",
        "token --operator",
        "token --operator o --ttl forever",
        "token --operator o --ttl -5m",
        "token --operator o --colour red",
        "token --operator o --operator p",
        "token stray",
        "keygen",
        "keygen --out",
        "serve --port 1"
      })
  void usageErrorsExitWithTwoAndPrintUsage(String command) {
    assertEquals(2, run(command.split(" ")));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("Usage: java -jar lockstep.jar"));
    assertEquals("", stdout());
  }

  @Test
  void keygenWritesAKeySetAndRefusesToOverwrite() throws Exception {
    Path file = dir.resolve("keys").resolve("lockstep.jwks");
    assertEquals(0, run("keygen", "--out", file.toString()));
    assertTrue(stdout().contains("key id"));
    String written = Files.readString(file);
    assertTrue(written.contains("\"crv\":\"P-256\""), written);
    assertTrue(written.contains("\"kid\""), written);

    assertEquals(1, run("keygen", "--out", file.toString()));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("refusing to overwrite"));
    assertEquals(written, Files.readString(file));

    // The generated file works as LOCKSTEP_TOKEN_KEY_FILE.
    out.reset();
    Config withKey =
        LockstepConfig.load(
            Map.of("LOCKSTEP_TOKEN_KEY_FILE", file.toString()),
            ConfigFactory.parseMap(Map.of("lockstep.data-dir", dir.toString())));
    assertEquals(
        0,
        Main.run(new String[] {"token", "--operator", "ops"}, new PrintStream(out, true), new PrintStream(err, true), () -> withKey));
    TokenService verifier = TokenService.create(LockstepSettings.from(withKey).tokens());
    assertEquals(new OperatorPrincipal("ops"), verifier.verify(stdout()));
  }
}
