package io.lockstep.client.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The exclusive lock on {@code FILE.lock} that keeps a second client (in this process or another)
 * off a store while one has it open.
 */
final class StoreLock implements AutoCloseable {

  private final Path store;
  private final FileChannel channel;
  private final FileLock lock;

  private StoreLock(Path store, FileChannel channel, FileLock lock) {
    this.store = store;
    this.channel = channel;
    this.lock = lock;
  }

  /** @throws IllegalStateException when another client holds the store */
  static StoreLock acquire(Path store) throws IOException {
    FileChannel channel = FileChannel.open(store.resolveSibling(store.getFileName() + ".lock"),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException heldByThisJvm) {
      lock = null;
    }
    if (lock == null) {
      channel.close();
      throw new IllegalStateException("store is in use by another client: " + store);
    }
    return new StoreLock(store, channel, lock);
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release store lock of " + store, e);
    }
  }
}
