package io.lockstep.device;

/**
 * The way from a session to its device's socket, in order. {@link #offer} never blocks and never
 * drops: the session itself refuses to queue beyond {@code outgoing-buffer-frames} (it sends
 * {@code resync} and closes instead), so it asks {@link #size} first.
 */
interface Outbox {

  /** Frames queued and not yet handed to the socket (a journal range counts as one). */
  int size();

  /** Queues {@code outgoing} behind everything offered before. */
  void offer(Outgoing outgoing);

  /** Writes what is queued, then closes the WebSocket (1000) and the connection. */
  void complete();
}
