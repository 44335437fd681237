package io.lockstep.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Algebraic laws of {@link VersionVector}. */
class VersionVectorPropertiesTest {

  @Provide
  Arbitrary<VersionVector> vectors() {
    Arbitrary<Map<String, Long>> maps = Arbitraries.maps(
        Arbitraries.of("a", "b", "c", "d"), Arbitraries.longs().between(0, 4)).ofMaxSize(4);
    return maps.map(VersionVector::of);
  }

  @Provide
  Arbitrary<Dot> dots() {
    return Arbitraries.of("a", "b", "c", "d").flatMap(device ->
        Arbitraries.longs().between(0, 5).map(counter -> new Dot(device, counter)));
  }

  @Property
  void compareIsAntisymmetric(@ForAll("vectors") VersionVector a,
      @ForAll("vectors") VersionVector b) {
    Causality ab = a.compare(b);
    Causality ba = b.compare(a);
    switch (ab) {
      case BEFORE -> assertEquals(Causality.AFTER, ba);
      case AFTER -> assertEquals(Causality.BEFORE, ba);
      case EQUAL -> {
        assertEquals(Causality.EQUAL, ba);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
      }
      default -> assertEquals(Causality.CONCURRENT, ba);
    }
  }

  @Property
  void mergeIsCommutative(@ForAll("vectors") VersionVector a, @ForAll("vectors") VersionVector b) {
    assertEquals(a.merge(b), b.merge(a));
  }

  @Property
  void mergeIsAssociative(@ForAll("vectors") VersionVector a, @ForAll("vectors") VersionVector b,
      @ForAll("vectors") VersionVector c) {
    assertEquals(a.merge(b).merge(c), a.merge(b.merge(c)));
  }

  @Property
  void mergeIsIdempotentAndAnUpperBound(@ForAll("vectors") VersionVector a,
      @ForAll("vectors") VersionVector b) {
    assertEquals(a, a.merge(a));
    VersionVector m = a.merge(b);
    assertTrue(m.covers(a) && m.covers(b));
  }

  @Property
  void coversIsConsistentWithCompare(@ForAll("vectors") VersionVector a,
      @ForAll("vectors") VersionVector b) {
    Causality c = a.compare(b);
    assertEquals(a.covers(b), c == Causality.AFTER || c == Causality.EQUAL);
    assertEquals(b.covers(a), c == Causality.BEFORE || c == Causality.EQUAL);
  }

  @Property
  void coversDotMatchesWith(@ForAll("vectors") VersionVector a, @ForAll("dots") Dot dot) {
    assertEquals(a.covers(dot), a.with(dot).equals(a));
    assertTrue(a.with(dot).covers(dot));
    assertTrue(a.increment(dot.deviceId()).compare(a) == Causality.AFTER);
  }

  @Property
  void wireFormRoundTrips(@ForAll("vectors") VersionVector a) {
    assertEquals(a, VersionVector.fromBytes(a.toBytes()));
  }

  @Example
  void wireFormIsStable() {
    VersionVector v = VersionVector.of(Map.of("b", 300L, "a", 1L));
    assertEquals("[2, 1, 97, 1, 1, 98, -84, 2]", java.util.Arrays.toString(v.toBytes()));
    assertEquals("{a=1, b=300}", v.toString());
  }
}
