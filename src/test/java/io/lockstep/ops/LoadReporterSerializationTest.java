package io.lockstep.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lockstep.ops.v1.MerchantLoad;
import io.lockstep.testing.KryoRoundTrip;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The load queries cross nodes: they round-trip through Kryo with the shipped class list. */
@ExtendWith(LogCapturingExtension.class)
class LoadReporterSerializationTest {
  static final ActorTestKit testKit = KryoRoundTrip.shippedConfig("serialization");

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void queriesAndReportsRoundTrip() {
    TestProbe<LoadReporter.LoadReport> probe = testKit.createTestProbe();
    MerchantLoad load = MerchantLoad.newBuilder().setMerchantId("m").setMutationsPerSecond(1.5)
        .setConnectedDevices(2).setHeadSeq(7).setLastWriteMillis(123).setNode("pekko://lockstep@n:1").build();
    for (Object message : List.of(
        new LoadReporter.GetMerchantLoad("m", probe.ref()),
        new LoadReporter.GetHotMerchants(10, probe.ref()),
        new LoadReporter.LoadReport("pekko://lockstep@n:1", List.of(load, load.toBuilder().setMerchantId("n").build())))) {
      assertEquals(message, KryoRoundTrip.roundTrip(testKit.system(), message));
    }
  }
}
