package io.lockstep.client;

import static io.lockstep.testing.HttpApi.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.ops.v1.DeviceLag;
import io.lockstep.ops.v1.DeviceLagList;
import io.lockstep.security.OperatorPrincipal;
import io.lockstep.testing.RunningNode;
import io.lockstep.testing.HttpApi;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Delivery lag measured for real devices: the operator's lag table and the node's metrics. */
class DeliveryLagIntegrationTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  @RegisterExtension static final RunningNode running = RunningNode.create();

  @TempDir Path dir;

  private LockstepClient client(String merchant, String device) {
    return LockstepClient.open(running.client(merchant, device, dir).build());
  }

  private static double metric(String scrape, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.E+-]+)$").matcher(scrape);
    assertTrue(m.find(), name + " in " + scrape);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void changesFannedOutToDevicesShowUpInTheLagTableAndTheSloCounters() throws Exception {
    HttpApi management = new HttpApi(running.node().managementPort());
    String operator = running.node().tokens().mint(new OperatorPrincipal("alice"));
    try (LockstepClient till = client("lagging", "till"); LockstepClient screen = client("lagging", "screen")) {
      till.start();
      screen.start();
      assertTrue(till.awaitConnected(WAIT) && screen.awaitConnected(WAIT));
      till.upsertItem("coffee", "Coffee", "C-1", 350L);
      for (int i = 0; i < 20; i++) till.adjustStock("coffee", 1);
      assertTrue(till.awaitSettled(WAIT));
      assertTrue(screen.awaitApplied(21, WAIT));
      assertTrue(till.awaitApplied(21, WAIT));

      long deadline = System.nanoTime() + WAIT.toNanos();
      DeviceLagList lags;
      do { // the last Applied report is on its way
        lags = parse(management.get("/lockstep/lag?top=20", operator).body(), DeviceLagList.newBuilder());
        Thread.sleep(50);
      } while (lags.getDevicesList().stream().anyMatch(d -> d.getAppliedCount() == 0) && System.nanoTime() < deadline);

      assertEquals(2, lags.getDevicesCount(), lags.toString());
      for (DeviceLag lag : lags.getDevicesList()) {
        assertEquals("lagging", lag.getMerchantId());
        assertEquals(21, lag.getWrittenCount(), "every change written to each device once: " + lag);
        assertTrue(lag.getWrittenP99Millis() > 0, lag.toString());
        assertTrue(lag.getAppliedCount() > 0, lag.toString());
      }
      String scrape = management.get("/metrics", null).body();
      assertTrue(metric(scrape, "lockstep_slo_fanout_deliveries_total") >= 42, scrape);
      assertTrue(metric(scrape, "lockstep_slo_fanout_good_total") <= metric(scrape, "lockstep_slo_fanout_deliveries_total"));
      assertTrue(metric(scrape, "lockstep_delivery_lag_seconds_count") >= 42);
      assertTrue(metric(scrape, "lockstep_applied_lag_seconds_count") >= 2);
      assertEquals(400, management.get("/lockstep/lag?top=0", operator).statusCode());
      assertEquals(401, management.get("/lockstep/lag", null).statusCode());
    }
  }
}
