package io.lockstep.client;

import com.google.protobuf.InvalidProtocolBufferException;
import io.lockstep.client.v1.ClientStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;

/**
 * The device's store file: one {@link ClientStore} message, replaced atomically.
 *
 * <pre>
 *   write:  encode -> FILE.tmp (write, fsync) -> rename FILE.tmp over FILE (ATOMIC_MOVE) -> fsync dir
 *   read:   FILE only; a FILE.tmp left by a crash is incomplete by definition and deleted
 * </pre>
 *
 * A crash at any point leaves either the old or the new file, never a mix. While open, the store
 * holds an exclusive lock on {@code FILE.lock} so two clients cannot share one store.
 * Not thread-safe: the client's event thread owns it.
 */
final class StoreFile implements AutoCloseable {

  /** Highest {@code format_version} this client reads and the one it writes. */
  static final int FORMAT_VERSION = 1;

  private final Path file;
  private final Path temp;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Runnable beforeRename;

  private StoreFile(Path file, FileChannel lockChannel, FileLock lock, Runnable beforeRename) {
    this.file = file;
    this.temp = file.resolveSibling(file.getFileName() + ".tmp");
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.beforeRename = beforeRename;
  }

  /**
   * Opens (and locks) the store at {@code file}; its directory is created if needed.
   *
   * @throws IllegalStateException when another client holds the store
   * @throws UncheckedIOException when the directory or lock file cannot be created
   */
  static StoreFile open(Path file) {
    return open(file, () -> {});
  }

  /** {@link #open(Path)} with a hook run between the temp write and the rename (crash tests). */
  static StoreFile open(Path file, Runnable beforeRename) {
    Objects.requireNonNull(file, "file");
    Path absolute = file.toAbsolutePath();
    try {
      Files.createDirectories(absolute.getParent());
      FileChannel channel = FileChannel.open(absolute.resolveSibling(absolute.getFileName() + ".lock"),
          StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = tryLock(channel);
      if (lock == null) {
        channel.close();
        throw new IllegalStateException("store is in use by another client: " + absolute);
      }
      StoreFile store = new StoreFile(absolute, channel, lock, beforeRename);
      Files.deleteIfExists(store.temp);
      return store;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open store " + absolute, e);
    }
  }

  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException e) {
      return null; // held by this JVM
    }
  }

  Path path() {
    return file;
  }

  /**
   * The stored state, or empty when no store was ever written.
   *
   * @throws IllegalStateException when the file is not a store this client can read
   */
  Optional<ClientStore> read() {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      ClientStore store = ClientStore.parseFrom(Files.readAllBytes(file));
      if (store.getFormatVersion() > FORMAT_VERSION) {
        throw new IllegalStateException("store " + file + " has format " + store.getFormatVersion()
            + ", this client reads up to " + FORMAT_VERSION);
      }
      return Optional.of(store);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("store " + file + " is not a lockstep client store", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read store " + file, e);
    }
  }

  /** Replaces the stored state atomically and durably; returns once it is on disk. */
  void write(ClientStore store) {
    byte[] bytes = store.toBuilder().setFormatVersion(FORMAT_VERSION).build().toByteArray();
    try {
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE,
          StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
      }
      beforeRename.run();
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDirectory();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write store " + file, e);
    }
  }

  /** Makes the rename itself durable; not every platform can open a directory, so best effort. */
  private void syncDirectory() {
    try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // The data itself was forced before the rename; only the rename's durability is at stake.
    }
  }

  /** Releases the lock; the file stays. */
  @Override
  public void close() {
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release store lock of " + file, e);
    }
  }
}
