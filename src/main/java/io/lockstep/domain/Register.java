package io.lockstep.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A multi-value register resolved to one value: it keeps every write that no later write has seen
 * (the concurrent frontier) and shows the one with the highest {@link Stamp}. A write removes the
 * entries its base covers, so a causally later write always replaces what it saw, and concurrent
 * writes resolve the same way in any arrival order. Entries are sorted by dot.
 *
 * @param <T> the value type ({@code String} or {@code Long})
 */
public record Register<T>(List<Entry<T>> entries) {

  /** One write kept in the register. */
  public record Entry<T>(Stamp stamp, T value) {
    public Entry {
      Objects.requireNonNull(stamp, "stamp");
      Objects.requireNonNull(value, "value");
    }

    public Dot dot() {
      return stamp.dot();
    }
  }

  public Register {
    List<Entry<T>> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparing(Entry::dot));
    entries = List.copyOf(sorted);
  }

  /** The register nobody wrote. */
  public static <T> Register<T> empty() {
    return new Register<>(List.of());
  }

  /** A register holding only {@code value}, as synthesised from a resolved view. */
  public static <T> Register<T> resolved(T value) {
    return new Register<>(List.of(new Entry<>(Stamp.RESOLVED, value)));
  }

  /** The entry with the highest stamp, if any. */
  public Optional<Entry<T>> winner() {
    return entries.stream().max(Comparator.comparing(Entry::stamp));
  }

  /** The resolved value, if anybody wrote one. */
  public Optional<T> value() {
    return winner().map(Entry::value);
  }

  /** The entries {@code base} does not cover: writes concurrent with a writer that saw base. */
  public List<Entry<T>> concurrentWith(VersionVector base) {
    return entries.stream().filter(e -> !base.covers(e.dot())).toList();
  }

  /** This register after a write by {@code stamp} that had seen {@code base}. */
  public Register<T> write(Stamp stamp, T value, VersionVector base) {
    List<Entry<T>> next = new ArrayList<>(concurrentWith(base));
    next.add(new Entry<>(stamp, value));
    return new Register<>(next);
  }
}
