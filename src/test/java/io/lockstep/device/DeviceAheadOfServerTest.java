package io.lockstep.device;

import static io.lockstep.testing.Mutations.restock;
import static io.lockstep.testing.Mutations.upsertItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.protocol.v1.Snapshot;
import io.lockstep.protocol.v1.Welcome;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.testing.RunningNode;
import io.lockstep.testing.TestDevice;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A device that claims seqs its merchant never stored (its store outlived a database restored
 * from backup) is reset to a snapshot at the merchant's head and then receives every later
 * change; before, the session kept the device's seq and dropped every change up to it.
 */
@ExtendWith(LogCapturingExtension.class)
class DeviceAheadOfServerTest {
  @RegisterExtension static final RunningNode running = RunningNode.create();

  private static TestDevice device(String merchant, String device, long afterSeq) {
    return TestDevice.hello(running.node().devicePort(), device, running.node().tokens().mint(new DevicePrincipal(merchant, device)), afterSeq);
  }

  @Test
  void aDeviceAheadOfItsMerchantGetsASnapshotAtTheHeadThenEveryLaterChange() throws Exception {
    String merchant = "ahead-" + System.nanoTime();
    TestDevice writer = device(merchant, "writer", 0);
    writer.welcome();
    writer.push(upsertItem(1, "coffee", "Coffee", 350), restock(2, "coffee"));
    writer.ack();
    writer.ack();

    TestDevice restored = device(merchant, "till", 500);
    Welcome welcome = restored.welcome();
    assertEquals(2, welcome.getHeadSeq());
    // Well within the session's heartbeat (15 s), which would re-subscribe it anyway.
    ServerFrame frame = restored.poll(Duration.ofSeconds(5));
    assertTrue(frame != null && frame.hasSnapshot(), "expected a snapshot at once, got " + frame);
    Snapshot snapshot = frame.getSnapshot();
    assertEquals(2, snapshot.getSeq());
    assertTrue(snapshot.getLast());
    assertEquals("coffee", snapshot.getItems(0).getItemId());

    writer.push(restock(3, "coffee"));
    writer.ack();
    Change next = restored.changes(1).get(0);
    assertEquals(3, next.getSeq(), "the change after the head reaches the reset device");
    assertTrue(metrics().contains("lockstep_devices_ahead_total 1.0"), "counted in the metric");
    writer.close();
    restored.close();
  }

  private static String metrics() throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + running.node().managementPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    return response.body();
  }
}
