package io.lockstep.domain;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import org.pcollections.TreePMap;

/**
 * An immutable version vector: device id to the highest counter seen from that device.
 *
 * <p>Counters are kept sorted by device id; zero entries are dropped, so two vectors that cover the
 * same dots are {@code equals}. A vector covers a dot when its counter for the dot's device is at
 * least the dot's counter. {@link #toBytes()} is a compact, stable encoding (varint count, then per
 * device in id order: varint UTF-8 length, bytes, varint counter) that {@link #fromBytes} reverses.
 */
public final class VersionVector {

  /** The vector that covers nothing but {@link Dot#RESOLVED}. */
  public static final VersionVector EMPTY = new VersionVector(TreePMap.empty());

  // Persistent: with and merge share the unchanged part instead of copying it.
  private final TreePMap<String, Long> counters;

  private VersionVector(TreePMap<String, Long> counters) {
    this.counters = counters;
  }

  /**
   * The vector with these counters; zero counters are dropped.
   *
   * @throws IllegalArgumentException for a negative counter or an empty device id
   */
  public static VersionVector of(Map<String, Long> counters) {
    Objects.requireNonNull(counters, "counters");
    TreeMap<String, Long> copy = new TreeMap<>();
    counters.forEach(
        (device, counter) -> {
          Objects.requireNonNull(device, "device id");
          Objects.requireNonNull(counter, "counter");
          if (device.isEmpty()) {
            throw new IllegalArgumentException("empty device id in " + counters);
          }
          if (counter < 0) {
            throw new IllegalArgumentException("counter < 0 for " + device + ": " + counter);
          }
          if (counter > 0) {
            copy.put(device, counter);
          }
        });
    return copy.isEmpty() ? EMPTY : new VersionVector(TreePMap.from(copy));
  }

  /** The highest counter seen from {@code deviceId}; 0 when none. */
  public long get(String deviceId) {
    return counters.getOrDefault(deviceId, 0L);
  }

  /** An unmodifiable view of the counters, sorted by device id. */
  public SortedMap<String, Long> counters() {
    return counters;
  }

  public boolean isEmpty() {
    return counters.isEmpty();
  }

  /** This vector with {@code deviceId}'s counter one higher. */
  public VersionVector increment(String deviceId) {
    return with(new Dot(deviceId, get(deviceId) + 1));
  }

  /** This vector with the dot's device raised to the dot's counter if that is higher. */
  public VersionVector with(Dot dot) {
    Objects.requireNonNull(dot, "dot");
    if (covers(dot)) {
      return this;
    }
    if (dot.deviceId().isEmpty()) {
      throw new IllegalArgumentException("empty device id in dot " + dot);
    }
    return new VersionVector(counters.plus(dot.deviceId(), dot.counter()));
  }

  /** The pointwise maximum. */
  public VersionVector merge(VersionVector other) {
    Objects.requireNonNull(other, "other");
    if (covers(other)) {
      return this;
    }
    if (other.covers(this)) {
      return other;
    }
    TreePMap<String, Long> merged = counters;
    for (Map.Entry<String, Long> entry : other.counters.entrySet()) {
      if (entry.getValue() > get(entry.getKey())) {
        merged = merged.plus(entry.getKey(), entry.getValue());
      }
    }
    return new VersionVector(merged);
  }

  /** Whether the dot is at or below this vector's counter for its device. */
  public boolean covers(Dot dot) {
    return dot.counter() <= get(dot.deviceId());
  }

  /** Whether every counter of {@code other} is at or below this vector's. */
  public boolean covers(VersionVector other) {
    for (Map.Entry<String, Long> entry : other.counters.entrySet()) {
      if (entry.getValue() > get(entry.getKey())) {
        return false;
      }
    }
    return true;
  }

  /** How this vector relates to {@code other}; see {@link Causality}. */
  public Causality compare(VersionVector other) {
    boolean coversOther = covers(other);
    boolean coveredByOther = other.covers(this);
    if (coversOther && coveredByOther) {
      return Causality.EQUAL;
    }
    if (coversOther) {
      return Causality.AFTER;
    }
    return coveredByOther ? Causality.BEFORE : Causality.CONCURRENT;
  }

  /** The compact stable encoding described on the class. */
  public byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeVarint(out, counters.size());
    counters.forEach(
        (device, counter) -> {
          byte[] id = device.getBytes(StandardCharsets.UTF_8);
          writeVarint(out, id.length);
          out.writeBytes(id);
          writeVarint(out, counter);
        });
    return out.toByteArray();
  }

  /**
   * Decodes {@link #toBytes()}.
   *
   * @throws IllegalArgumentException when the bytes are not such an encoding
   */
  public static VersionVector fromBytes(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    int[] position = {0};
    long size = readVarint(bytes, position);
    TreeMap<String, Long> counters = new TreeMap<>();
    for (long i = 0; i < size; i++) {
      long length = readVarint(bytes, position);
      if (length > bytes.length - position[0]) {
        throw new IllegalArgumentException("truncated version vector at byte " + position[0]);
      }
      String device = new String(bytes, position[0], (int) length, StandardCharsets.UTF_8);
      position[0] += (int) length;
      counters.put(device, readVarint(bytes, position));
    }
    if (position[0] != bytes.length) {
      throw new IllegalArgumentException("trailing bytes after version vector: " + position[0]);
    }
    return of(counters);
  }

  private static void writeVarint(ByteArrayOutputStream out, long value) {
    long rest = value;
    while ((rest & ~0x7FL) != 0) {
      out.write((int) ((rest & 0x7F) | 0x80));
      rest >>>= 7;
    }
    out.write((int) rest);
  }

  private static long readVarint(byte[] bytes, int[] position) {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (position[0] >= bytes.length) {
        throw new IllegalArgumentException("truncated varint at byte " + position[0]);
      }
      byte b = bytes[position[0]++];
      result |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw new IllegalArgumentException("varint too long at byte " + position[0]);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof VersionVector that && counters.equals(that.counters);
  }

  @Override
  public int hashCode() {
    return counters.hashCode();
  }

  @Override
  public String toString() {
    return counters.toString();
  }
}
