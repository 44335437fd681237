package io.lockstep.serialization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lockstep.protocol.v1.Hello;
import io.lockstep.protocol.v1.VersionVector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.TestInstance;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;

@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KryoSerializerTest {

  enum Channel { DEVICE, SERVICE }

  record Reply(String text) implements TransientMessage {}

  record Subscribe(
      String merchantId,
      long afterSeq,
      Channel channel,
      ActorRef<Reply> replyTo,
      org.apache.pekko.actor.ActorRef classic,
      List<String> tags,
      Map<String, Long> counters,
      Set<Integer> ids,
      Optional<String> note,
      Optional<String> absent,
      byte[] payload,
      List<Hello> hellos,
      VersionVector base,
      Map<String, List<Reply>> nested,
      Done done)
      implements TransientMessage {}

  record Holder(Object value) implements TransientMessage {}

  record Unlisted(String x) implements TransientMessage {}

  static final Config CONFIG =
      ConfigFactory.parseString(
          """
          pekko.actor {
            allow-java-serialization = off
            serializers.lockstep-kryo = "io.lockstep.serialization.KryoSerializer"
            serialization-bindings {
              "io.lockstep.serialization.TransientMessage" = lockstep-kryo
            }
          }
          lockstep.serialization.kryo-classes = [
            "io.lockstep.serialization.KryoSerializerTest$Channel",
            "io.lockstep.serialization.KryoSerializerTest$Reply",
            "io.lockstep.serialization.KryoSerializerTest$Subscribe",
            "io.lockstep.serialization.KryoSerializerTest$Holder",
            "io.lockstep.protocol.v1.Hello",
            "io.lockstep.protocol.v1.VersionVector"
          ]
          """);

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(CONFIG).build();

  private final Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));

  private Object roundTrip(Object message) {
    var serializer = serialization.findSerializerFor(message);
    assertInstanceOf(KryoSerializer.class, serializer);
    byte[] bytes = serialization.serialize(message).get();
    return serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message)).get();
  }

  @Test
  void roundTripsRecordsWithNestedCollectionsRefsAndProtos() {
    TestProbe<Reply> probe = testKit.createTestProbe();
    var classic = Adapter.toClassic(testKit.createTestProbe().ref());
    Hello hello = Hello.newBuilder().setDeviceId("till-1").setToken("t").setAfterSeq(42).build();
    VersionVector base = VersionVector.newBuilder().putCounters("till-1", 7).build();
    Subscribe message =
        new Subscribe(
            "m-1", 17L, Channel.SERVICE, probe.ref(), classic,
            List.of("a", "b", "c"),
            Map.of("till-1", 3L, "till-2", 9L),
            Set.of(1, 2, 3),
            Optional.of("hi"), Optional.empty(),
            new byte[] {1, 2, 3},
            List.of(hello, hello.toBuilder().setAfterSeq(43).build()),
            base,
            Map.of("k", List.of(new Reply("r1"), new Reply("r2"))),
            Done.getInstance());

    Subscribe back = (Subscribe) roundTrip(message);

    assertEquals(message.merchantId(), back.merchantId());
    assertEquals(message.afterSeq(), back.afterSeq());
    assertSame(Channel.SERVICE, back.channel());
    assertEquals(probe.ref(), back.replyTo());
    assertEquals(classic, back.classic());
    assertEquals(message.tags(), back.tags());
    assertEquals(message.counters(), back.counters());
    assertEquals(message.ids(), back.ids());
    assertEquals(message.note(), back.note());
    assertEquals(Optional.empty(), back.absent());
    assertArrayEquals(message.payload(), back.payload());
    assertEquals(message.hellos(), back.hellos());
    assertEquals(base, back.base());
    assertEquals(message.nested(), back.nested());
    assertSame(Done.getInstance(), back.done());
    assertThrows(UnsupportedOperationException.class, () -> back.tags().add("x"));

    back.replyTo().tell(new Reply("delivered"));
    probe.expectMessage(new Reply("delivered"));
  }

  @Test
  void roundTripsEveryKindOfJdkCollection() {
    List<String> withNull = new ArrayList<>(List.of("a"));
    withNull.add(null);
    List<Object> values =
        List.of(
            List.of(), List.of(1), List.of(1, 2, 3), Map.of(), Map.of("a", 1), Map.of("a", 1, "b", 2),
            Set.of(), Set.of("x"), Set.of("x", "y", "z"),
            Collections.unmodifiableList(new ArrayList<>(List.of(1, 2))),
            Collections.unmodifiableList(withNull),
            Collections.unmodifiableMap(new LinkedHashMap<>(Map.of("k", "v"))),
            Collections.unmodifiableSet(new java.util.HashSet<>(Set.of(5))),
            Collections.emptyList(), Collections.emptyMap(), Collections.emptySet(),
            Collections.singletonList("one"), Collections.singletonMap("k", 1), Collections.singleton(2),
            Arrays.asList("p", "q"),
            new ArrayList<>(List.of(1, 2)), new HashMap<>(Map.of("h", 1)),
            Stream.of("s", "t").toList(),
            Stream.of("u").collect(Collectors.toUnmodifiableList()),
            Optional.of(List.of(1)),
            java.util.UUID.randomUUID(), java.time.Instant.now(), java.time.Duration.ofMillis(1500),
            java.time.LocalDate.of(2025, 6, 1), new java.math.BigDecimal("12.50"), java.math.BigInteger.TEN.pow(30));
    for (Object value : values) {
      Holder back = (Holder) roundTrip(new Holder(value));
      assertEquals(value, back.value(), () -> "round trip of " + value.getClass().getName());
    }
  }

  @Test
  void unregisteredClassFailsNamingItAndTheConfigKey() {
    var e = assertThrows(IllegalArgumentException.class, () -> serialization.serialize(new Unlisted("x")).get());
    assertTrue(e.getMessage().contains("KryoSerializerTest$Unlisted"), e.getMessage());
    assertTrue(e.getMessage().contains("lockstep.serialization.kryo-classes"), e.getMessage());

    var nested = assertThrows(IllegalArgumentException.class, () -> serialization.serialize(new Holder(new Unlisted("x"))).get());
    assertTrue(nested.getMessage().contains("Unlisted"), nested.getMessage());
  }

  @Test
  void javaSerializationIsNeverUsed() {
    assertThrows(Exception.class, () -> serialization.serialize(new java.util.Date()).get());
  }

  @Test
  void concurrentSerializationsDoNotInterfere() throws Exception {
    TestProbe<Reply> probe = testKit.createTestProbe();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<Boolean>> tasks = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        tasks.add(
            () -> {
              for (int i = 0; i < 500; i++) {
                List<Reply> replies =
                    IntStream.range(0, i % 20).mapToObj(n -> new Reply(thread + "-" + n)).toList();
                Holder message = new Holder(Map.of("thread", thread, "i", i, "replies", replies, "ref", probe.ref()));
                if (!message.equals(roundTrip(message))) {
                  return false;
                }
              }
              return true;
            });
      }
      for (Future<Boolean> result : pool.invokeAll(tasks)) {
        assertTrue(result.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void misconfiguredClassListFailsAtStartupNamingTheClass() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> KryoRegistrations.load(List.of("io.lockstep.DoesNotExist"), (org.apache.pekko.actor.ExtendedActorSystem) Adapter.toClassic(testKit.system())));
    assertTrue(e.getMessage().contains("io.lockstep.DoesNotExist"));
  }
}
