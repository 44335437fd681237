package io.lockstep.client;

import io.lockstep.domain.Conflict;
import io.lockstep.domain.DomainRecord;
import io.lockstep.domain.Op;

/**
 * What a {@link LockstepClient} reports to the app. Every method has an empty default.
 *
 * <p>Calls come from one dedicated thread per client, in the order the events happened, after
 * the client's state (and store file) already reflects them. They never run while the client
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

  /** The connection moved to {@code state}; {@code detail} says why (may be empty). */
  default void onConnectionState(ConnectionState state, String detail) {}
}
