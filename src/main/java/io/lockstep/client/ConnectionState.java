package io.lockstep.client;

/**
 * Where a {@link LockstepClient}'s connection stands.
 *
 * <pre>
 *   OFFLINE ──start()──▶ CONNECTING ──Welcome──▶ CONNECTED
 *                           ▲   │                   │ socket lost, Error resync/unavailable/…
 *                           │   └──────────┬────────┘
 *                           └── backoff ◀─ RETRYING
 *   any ──close()──▶ CLOSED          any ──Error unauthenticated──▶ FAILED (no more attempts)
 * </pre>
 *
 * Mutations are accepted in every state but {@code CLOSED}; they wait in the outbox until the
 * client is {@code CONNECTED}.
 */
public enum ConnectionState {
  /** Built, not started: works on the local store only. */
  OFFLINE,
  /** Opening the socket or waiting for the server's Welcome. */
  CONNECTING,
  /** Welcomed: receiving changes and sending the outbox. */
  CONNECTED,
  /** Waiting out a backoff delay before the next attempt. */
  RETRYING,
  /** The server refused the device's credentials; the client stopped trying. */
  FAILED,
  /** {@link LockstepClient#close()} was called. */
  CLOSED
}
