package io.lockstep.client.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.lockstep.client.v1.ClientStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a store of format 1: one {@link ClientStore} message that clients before the SQLite store
 * rewrote whole on every write ({@code FILE.tmp}, fsync, atomic rename). Only read, to migrate.
 */
final class LegacyStoreFile {

  /** The one format of the whole-file store. */
  static final int FORMAT_VERSION = 1;

  private LegacyStoreFile() {}

  /** @throws IllegalStateException when the file is not a store this client can read */
  static ClientStore read(Path file) throws IOException {
    try {
      ClientStore store = ClientStore.parseFrom(Files.readAllBytes(file));
      if (store.getFormatVersion() > FORMAT_VERSION) {
        throw new IllegalStateException("store " + file + " has format " + store.getFormatVersion()
            + ", this client reads up to " + ReplicaStore.FORMAT_VERSION);
      }
      return store;
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("store " + file + " is not a lockstep client store", e);
    }
  }
}
