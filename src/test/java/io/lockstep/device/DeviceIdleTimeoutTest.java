package io.lockstep.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.typesafe.config.ConfigFactory;
import io.lockstep.LockstepNode;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Ping;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.testing.TestDatabase;
import io.lockstep.testing.TestDevice;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A device that goes silent is closed; one that pings keeps its session. */
@ExtendWith(LogCapturingExtension.class)
class DeviceIdleTimeoutTest {
  static TestDatabase database;
  static LockstepNode node;

  @BeforeAll
  static void start() throws Exception {
    database = TestDatabase.create(DeviceIdleTimeoutTest.class);
    node = LockstepNode.start(ConfigFactory.parseString(
            "lockstep.device.idle-timeout = 1s\nlockstep.device.heartbeat = 200ms\n")
        .withFallback(database.config()));
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
    if (database != null) database.close();
  }

  @Test
  void aSilentDeviceIsClosedWhileAPingingOneStays() throws Exception {
    String token = node.tokens().mint(new DevicePrincipal("idle", "silent"));
    String other = node.tokens().mint(new DevicePrincipal("idle", "pinging"));
    try (TestDevice silent = TestDevice.hello(node.httpPort(), "silent", token, 0);
        TestDevice pinging = TestDevice.hello(node.httpPort(), "pinging", other, 0)) {
      silent.welcome();
      pinging.welcome();
      long nonce = 0;
      long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
      // Ping until the silent one has been closed; the pinging one must outlive it.
      while (!silent.isClosed()) {
        if (System.nanoTime() > deadline) throw new AssertionError("the silent device was never closed");
        pinging.send(ClientFrame.newBuilder().setPing(Ping.newBuilder().setNonce(++nonce)).build());
        assertEquals(nonce, pinging.next().getPong().getNonce());
        Thread.sleep(100);
      }
      assertEquals("idle-timeout", silent.error().getCode());
      pinging.send(ClientFrame.newBuilder().setPing(Ping.newBuilder().setNonce(++nonce)).build());
      assertEquals(nonce, pinging.next().getPong().getNonce());
      assertFalse(pinging.isClosed());
    }
  }
}
