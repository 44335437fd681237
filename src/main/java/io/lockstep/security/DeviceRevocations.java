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
 * The revoked devices, read from a file and re-read by {@link #reload()} when its modification
 * time or size changed. A line is {@code merchantId/deviceId} (split at the first {@code /}),
 * {@code #} starts a comment. Device ids are per merchant, so a line that names no merchant is
 * refused with a warning naming it, never read as a fleet-wide revocation; the other lines still
 * load. A file that cannot be read keeps the last good list (and is logged): an outage of the file
 * must not un-revoke. Listeners hear the full set after every change. Thread-safe.
 */
public final class DeviceRevocations {
  private static final Logger log = LoggerFactory.getLogger(DeviceRevocations.class);

  private final Optional<Path> file;
  private final List<Consumer<Set<DevicePrincipal>>> listeners = new CopyOnWriteArrayList<>();
  private volatile Set<DevicePrincipal> revoked = Set.of();
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

  /** Whether device {@code deviceId} of merchant {@code merchantId} is revoked. */
  public boolean isRevoked(String merchantId, String deviceId) {
    return revoked.contains(new DevicePrincipal(merchantId, deviceId));
  }

  /** Calls {@code listener} with the revoked set after each change. */
  public void onChange(Consumer<Set<DevicePrincipal>> listener) {
    listeners.add(listener);
  }

  /** Re-reads the file if it changed; returns whether the set changed. */
  public synchronized boolean reload() {
    if (file.isEmpty()) return false;
    Path path = file.get();
    Set<DevicePrincipal> next;
    try {
      FileTime time = Files.getLastModifiedTime(path);
      long size = Files.size(path);
      if (time.equals(seenTime) && size == seenSize) return false;
      next = parse(path, Files.readAllLines(path, StandardCharsets.UTF_8));
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
    for (Consumer<Set<DevicePrincipal>> listener : listeners) listener.accept(revoked);
    return true;
  }

  private static Set<DevicePrincipal> parse(Path path, List<String> lines) {
    Set<DevicePrincipal> devices = new HashSet<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      int comment = line.indexOf('#');
      String entry = (comment >= 0 ? line.substring(0, comment) : line).trim();
      if (entry.isEmpty()) continue;
      try {
        devices.add(parseEntry(entry));
      } catch (IllegalArgumentException e) {
        log.warn("Revocation file {} line {} refused, not merchantId/deviceId ({}): {}", path, i + 1, e.getMessage(), line);
      }
    }
    return devices;
  }

  private static DevicePrincipal parseEntry(String entry) {
    int slash = entry.indexOf('/');
    if (slash < 0) throw new IllegalArgumentException("no merchant");
    return new DevicePrincipal(entry.substring(0, slash).trim(), entry.substring(slash + 1).trim());
  }
}
