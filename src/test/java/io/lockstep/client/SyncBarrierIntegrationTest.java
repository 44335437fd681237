package io.lockstep.client;

import static io.lockstep.testing.HttpApi.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.api.v1.SyncDevice;
import io.lockstep.api.v1.SyncStatus;
import io.lockstep.testing.RunningNode;
import io.lockstep.testing.HttpApi;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sync barrier end to end: real client devices over real sockets report what they applied,
 * and a service asks whether its write reached them, with and without long-poll.
 */
@Tag("postgres")
class SyncBarrierIntegrationTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  @RegisterExtension static final RunningNode running = RunningNode.create();

  @TempDir Path dir;

  private LockstepClient client(String merchant, String device) {
    return LockstepClient.open(running.client(merchant, device, dir).build());
  }

  private static String service(String merchant) {
    return running.serviceToken(merchant);
  }

  private static long write(String merchant, String token, String itemId) {
    String body = "{\"mutations\":[{\"counter\":\"" + System.nanoTime() + "\",\"upsertItem\":{\"itemId\":\"" + itemId
        + "\",\"name\":\"" + itemId + "\",\"priceCents\":\"100\"}}]}";
    HttpResponse<String> response = running.http().post("/v1/merchants/" + merchant + "/mutations", token, body);
    assertEquals(200, response.statusCode(), response.body());
    io.lockstep.api.v1.AckList acks = parse(response.body(), io.lockstep.api.v1.AckList.newBuilder());
    return acks.getAcks(0).getSeq();
  }

  private static SyncStatus sync(String merchant, String token, String query) {
    HttpResponse<String> response = running.http().get("/v1/merchants/" + merchant + "/sync?" + query, token);
    assertEquals(200, response.statusCode(), response.body());
    return parse(response.body(), SyncStatus.newBuilder());
  }

  @Test
  void aWriteIsCompleteOnceEveryConnectedDeviceAppliedAndStoredIt() throws Exception {
    String merchant = "barrier";
    String token = service(merchant);
    try (LockstepClient till = client(merchant, "till"); LockstepClient kitchen = client(merchant, "kitchen")) {
      till.start();
      kitchen.start();
      assertTrue(till.awaitConnected(WAIT) && kitchen.awaitConnected(WAIT));
      long seq = write(merchant, token, "coffee");

      SyncStatus status = sync(merchant, token, "seq=" + seq + "&wait=10s");

      assertTrue(status.getComplete(), status.toString());
      assertEquals(seq, status.getSeq());
      assertEquals(List.of("kitchen", "till"), status.getDevicesList().stream().map(SyncDevice::getDeviceId).toList());
      for (SyncDevice device : status.getDevicesList()) {
        assertTrue(device.getConnected());
        assertTrue(device.getAppliedSeq() >= seq, device.toString());
      }
      assertTrue(till.awaitApplied(seq, WAIT));
      assertTrue(till.view().storedSeq() >= seq);
      assertTrue(till.item("coffee").isPresent());
    }
  }

  @Test
  void aRecentlySeenDeviceThatIsAwayHoldsTheBarrierUntilItReconnectsAndCatchesUp() throws Exception {
    String merchant = "away";
    String token = service(merchant);
    LockstepClient till = client(merchant, "till");
    LockstepClient handheld = client(merchant, "handheld");
    try {
      till.start();
      handheld.start();
      assertTrue(till.awaitConnected(WAIT) && handheld.awaitConnected(WAIT));
      long first = write(merchant, token, "tea");
      assertTrue(sync(merchant, token, "seq=" + first + "&wait=10s").getComplete());
      handheld.close(); // goes away, but was seen just now
      long second = write(merchant, token, "cake");

      SyncStatus now = sync(merchant, token, "seq=" + second);
      assertFalse(now.getComplete(), now.toString());
      SyncDevice away = now.getDevicesList().stream().filter(d -> d.getDeviceId().equals("handheld")).findFirst().orElseThrow();
      assertFalse(away.getConnected());
      assertTrue(away.getAppliedSeq() < second);
      long started = System.nanoTime();
      assertFalse(sync(merchant, token, "seq=" + second + "&wait=500ms").getComplete());
      assertTrue(System.nanoTime() - started >= Duration.ofMillis(450).toNanos(), "long-polled for the wait");

      CompletableFuture<SyncStatus> waiting = CompletableFuture.supplyAsync(() -> sync(merchant, token, "seq=" + second + "&wait=20s"));
      handheld = client(merchant, "handheld"); // the same store: it resumes from what it applied
      handheld.start();
      SyncStatus done = waiting.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
      assertTrue(done.getComplete(), done.toString());
      assertTrue(handheld.awaitApplied(second, WAIT));
    } finally {
      till.close();
      handheld.close();
    }
  }

  @Test
  void aSeqAboveTheHeadIsNeverCompleteAndBadQueriesAreRefused() {
    String merchant = "ahead";
    String token = service(merchant);
    long seq = write(merchant, token, "bun");
    assertFalse(sync(merchant, token, "seq=" + (seq + 5) + "&wait=1s").getComplete());
    assertTrue(sync(merchant, token, "seq=" + seq).getComplete(), "no device counts: nothing holds the barrier");
    assertEquals(400, running.http().get("/v1/merchants/" + merchant + "/sync", token).statusCode());
    assertEquals(400, running.http().get("/v1/merchants/" + merchant + "/sync?seq=1&wait=soon", token).statusCode());
    assertEquals(403, running.http().get("/v1/merchants/" + merchant + "/sync?seq=1", service("someone-else")).statusCode());
  }
}
