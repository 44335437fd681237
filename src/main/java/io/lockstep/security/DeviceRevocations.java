package io.lockstep.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The revoked device ids, read from a file (one id a line, {@code #} starts a comment) and
 * re-read by {@link #reload()} when its modification time or size changed. A file that cannot be
 * read keeps the last good list (and is logged): an outage of the file must not un-revoke.
 * Listeners hear the full set after every change. Thread-safe.
 */
public final class DeviceRevocations {
  private static final Logger log = LoggerFactory.getLogger(DeviceRevocations.class);

  private final Optional<Path> file;
  private final List<Consumer<Set<String>>> listeners = new CopyOnWriteArrayList<>();
  private volatile Set<String> revoked = Set.of();
  private FileTime seenTime;
  private long seenSize = -1;

  private DeviceRevocations(Optional<Path> file) {
    this.file = file;
  }

  /** No revocations. */
  public static DeviceRevocations none() {
    return new DeviceRevocations(Optional.empty());
  }

  /** Revocations from {@code file}, read now; a missing file means none yet. */
  public static DeviceRevocations fromFile(Path file) {
    DeviceRevocations revocations = new DeviceRevocations(Optional.of(file));
    revocations.reload();
    return revocations;
  }

  /** Whether {@code deviceId} is revoked. */
  public boolean isRevoked(String deviceId) {
    return revoked.contains(deviceId);
  }

  /** Calls {@code listener} with the revoked set after each change. */
  public void onChange(Consumer<Set<String>> listener) {
    listeners.add(listener);
  }

  /** Re-reads the file if it changed; returns whether the set changed. */
  public synchronized boolean reload() {
    if (file.isEmpty()) return false;
    Path path = file.get();
    Set<String> next;
    try {
      FileTime time = Files.getLastModifiedTime(path);
      long size = Files.size(path);
      if (time.equals(seenTime) && size == seenSize) return false;
      next = parse(Files.readAllLines(path, StandardCharsets.UTF_8));
      seenTime = time;
      seenSize = size;
    } catch (NoSuchFileException e) {
      if (seenSize != -1) log.warn("Revocation file {} disappeared; keeping the last {} revocations", path, revoked.size());
      return false;
    } catch (IOException | RuntimeException e) {
      log.warn("Cannot read revocation file {}; keeping the last {} revocations: {}", path, revoked.size(), e.toString());
      return false;
    }
    if (next.equals(revoked)) return false;
    revoked = Set.copyOf(next);
    log.info("Revocation list {} loaded: {} devices", path, next.size());
    for (Consumer<Set<String>> listener : listeners) listener.accept(revoked);
    return true;
  }

  private static Set<String> parse(List<String> lines) {
    Set<String> ids = new HashSet<>();
    for (String line : lines) {
      int comment = line.indexOf('#');
      String id = (comment >= 0 ? line.substring(0, comment) : line).trim();
      if (!id.isEmpty()) ids.add(id);
    }
    return ids;
  }
}
