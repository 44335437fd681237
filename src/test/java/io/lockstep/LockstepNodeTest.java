package io.lockstep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.lockstep.config.LockstepConfig;
import io.lockstep.testing.TestDatabase;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

@Tag("postgres")
@ExtendWith(LogCapturingExtension.class)
class LockstepNodeTest {

  @RegisterExtension static final TestDatabase database = TestDatabase.create(LockstepNodeTest.class);

  @Test
  void startsAClusterOfOneServesHttpAndStops() throws Exception {
    LockstepNode node = LockstepNode.start(database.config());
    try {
      Awaitility.await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> Cluster.get(node.system()).selfMember().status() == MemberStatus.up());
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + "/nothing")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(404, response.statusCode());
    } finally {
      node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void httpPortInUseFailsStartupWithAClearReasonAndStopsTheSystem() throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      var config =
          ConfigFactory.parseString("lockstep.http.port = " + taken.getLocalPort()).withFallback(database.overrides());
      var e =
          assertThrows(
              LockstepNode.StartupException.class,
              () -> LockstepNode.start(LockstepConfig.load(Map.of(), config)));
      assertTrue(e.getMessage().contains("cannot bind HTTP"), e.getMessage());
    }
  }

  @Test
  void postgresWithoutKeyFileIsRefused() {
    var config =
        ConfigFactory.parseMap(
                Map.of(
                    "lockstep.database.url", "jdbc:postgresql://127.0.0.1:1/lockstep",
                    "lockstep.tokens.key-file", ""))
            .withFallback(database.overrides());
    var e =
        assertThrows(
            LockstepNode.StartupException.class, () -> LockstepNode.start(LockstepConfig.load(Map.of(), config)));
    assertTrue(e.getMessage().contains("LOCKSTEP_TOKEN_KEY_FILE"), e.getMessage());
  }

  @Test
  void unreachableDatabaseFailsStartup() throws Exception {
    java.nio.file.Path keys = database.dataDir().resolve("node-test-keys.jwks");
    if (!java.nio.file.Files.exists(keys)) {
      io.lockstep.security.SigningKeys.generate().writeNew(keys);
    }
    var config =
        ConfigFactory.parseMap(
                Map.of(
                    "lockstep.database.url", "jdbc:postgresql://127.0.0.1:1/lockstep",
                    "lockstep.database.connect-retries", 0,
                    "lockstep.tokens.key-file", keys.toString()))
            .withFallback(database.overrides());
    var e =
        assertThrows(
            LockstepNode.StartupException.class, () -> LockstepNode.start(LockstepConfig.load(Map.of(), config)));
    assertTrue(e.getMessage().contains("jdbc:postgresql://127.0.0.1:1/lockstep"), e.getMessage());
  }
}
