package io.lockstep.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import io.lockstep.config.LockstepConfig;
import io.lockstep.ops.v1.MerchantLoad;
import io.lockstep.serialization.KryoSerializer;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The load queries cross nodes: they round-trip through Kryo with the shipped class list. */
@ExtendWith(LogCapturingExtension.class)
class LoadReporterSerializationTest {
  static final ActorTestKit testKit = ActorTestKit.create("serialization",
      LockstepConfig.load(Map.of(), ConfigFactory.parseMap(Map.of(
          "pekko.actor.provider", "local", "lockstep.data-dir", System.getProperty("java.io.tmpdir")))));
  final Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private Object roundTrip(Object message) {
    var serializer = serialization.findSerializerFor(message);
    assertInstanceOf(KryoSerializer.class, serializer);
    byte[] bytes = serialization.serialize(message).get();
    return serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message)).get();
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
      assertEquals(message, roundTrip(message));
    }
  }
}
