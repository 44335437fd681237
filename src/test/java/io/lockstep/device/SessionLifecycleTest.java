package io.lockstep.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.awaitility.Awaitility;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Ping;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.testing.RunningNode;
import io.lockstep.testing.RunningMerchants;
import io.lockstep.testing.TestDevice;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Timers of a session and its merchant, with short settings: a device that goes silent is closed,
 * one that pings keeps its session; a merchant passivates only when idle and without subscribers.
 */
@ExtendWith(LogCapturingExtension.class)
class SessionLifecycleTest {
  @RegisterExtension static final RunningNode running = RunningNode.with("lockstep.device.idle-timeout = 1s\n"
      + "lockstep.device.hello-timeout = 1s\n"
      + "lockstep.device.heartbeat = 200ms\n"
      + "lockstep.entity.passivation-idle-timeout = 1s\n");

  @Test
  void aConnectionThatNeverAsksForTheUpgradeIsCutAfterTheHelloTimeout() throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", running.node().devicePort())) {
      socket.setSoTimeout(10_000);
      long start = System.nanoTime();
      assertEquals(-1, socket.getInputStream().read(), "closed by the server, nothing sent");
      long waited = java.time.Duration.ofNanos(System.nanoTime() - start).toMillis();
      assertTrue(waited >= 900 && waited < 9_000, "cut after the 1 s hello-timeout, not at once or never: " + waited + " ms");
    }
  }

  @Test
  void aSilentDeviceIsClosedWhileAPingingOneStays() throws Exception {
    String token = running.node().tokens().mint(new DevicePrincipal("idle", "silent"));
    String other = running.node().tokens().mint(new DevicePrincipal("idle", "pinging"));
    try (TestDevice silent = TestDevice.hello(running.node().devicePort(), "silent", token, 0);
        TestDevice pinging = TestDevice.hello(running.node().devicePort(), "pinging", other, 0)) {
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

  @Test
  void aMerchantWithASubscribedDeviceStaysAndPassivatesOnceTheDeviceLeaves() throws Exception {
    String token = running.node().tokens().mint(new DevicePrincipal("warm", "register"));
    try (TestDevice device = TestDevice.hello(running.node().devicePort(), "register", token, 0)) {
      device.welcome();
      device.push(io.lockstep.testing.Mutations.upsertItem(1, "coffee", "Coffee", 350));
      assertEquals(1, device.ack().getSeq());
      // Three passivation timeouts with a subscriber and no writes: the merchant must stay.
      long until = System.nanoTime() + java.time.Duration.ofSeconds(3).toNanos();
      long nonce = 0;
      while (System.nanoTime() < until) {
        device.send(ClientFrame.newBuilder().setPing(Ping.newBuilder().setNonce(++nonce)).build());
        device.next();
        Thread.sleep(200);
        assertTrue(RunningMerchants.isRunning(running.node().system(), "warm"), "passivated while a device was subscribed");
      }
    }
    Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> !RunningMerchants.isRunning(running.node().system(), "warm"));
  }

}
