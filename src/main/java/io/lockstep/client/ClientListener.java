package io.lockstep.client;

import io.lockstep.domain.Conflict;
import io.lockstep.domain.DomainRecord;
import io.lockstep.domain.Op;

/**
 * What a {@link LockstepClient} reports to the app. Every method has an empty default.
 *
 * <p>Calls come from one dedicated thread per client, in the order the events happened, after
 * the client's state (and store) already reflects them. They never run while the client
 * holds its state, so a listener may call any client method; a slow listener delays only later
 * listener calls, never the connection.
 */
public interface ClientListener {

  /**
   * The server stored a mutation at {@code seq}; {@code record} is its resolved state (before the
   * device's own pending mutations are re-applied; see {@link LockstepClient#items()} for the view).
   */
  default void onChange(long seq, String originDeviceId, long originCounter, DomainRecord record) {}

  /** The server replaced the replica with a snapshot at {@code seq} (the device was far behind). */
  default void onSnapshot(long seq) {}

  /** The server resolved a concurrent edit; the change carrying it was reported just before. */
  default void onConflict(Conflict conflict) {}

  /**
   * The server refused this device's mutation {@code counter}; it was removed from the outbox and
   * the replica no longer shows it.
   */
  default void onRejected(long counter, Op op, String reason) {}

  /**
   * The client could not read a change or snapshot ({@code reason} says which and why). Rather than
   * go on without it, it dropped its copy of the server's records (pending mutations are kept and
   * resent) and resyncs them from seq 0; until that has caught up, the view holds only what has
   * arrived again. A reason that repeats means the server holds data newer than this client can
   * read: the app needs an update.
   */
  default void onResync(String reason) {}

  /**
   * The server broke the protocol ({@code reason}: a frame over {@link
   * ClientConfig#maxFrameBytes}, or one that does not parse). Nothing of that frame was
   * used; the client closed the connection and reconnects after a backoff delay.
   */
  default void onProtocolError(String reason) {}

  /** The connection moved to {@code state}; {@code detail} says why (may be empty). */
  default void onConnectionState(ConnectionState state, String detail) {}
}
