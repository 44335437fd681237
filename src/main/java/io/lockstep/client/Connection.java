package io.lockstep.client;

import io.lockstep.protocol.v1.Applied;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Snapshot;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One connection attempt: its transport and what the protocol knows of it. Touched on the client's
 * event thread only.
 */
final class Connection {
  final WebSocketTransport transport;
  final long openedNanos = System.nanoTime();
  final ArrayDeque<Long> pushesInFlight = new ArrayDeque<>(); // last counter of each push
  private final List<Snapshot> snapshot = new ArrayList<>(); // chunks so far
  boolean welcomed;
  long catchUpTo; // the head seq its Welcome named
  long sentUpTo;
  long lastHeardNanos = System.nanoTime();
  long lastPingNanos = System.nanoTime();
  long pingNonce;
  long reportedApplied; // the last applied seq the server heard of on this connection
  long reportedAtNanos;

  Connection(WebSocketTransport transport) {
    this.transport = transport;
  }

  /** Tells the server this device applied and stored {@code seq}. */
  void sendApplied(long seq) {
    reportedApplied = seq;
    reportedAtNanos = System.nanoTime();
    transport.send(ClientFrame.newBuilder().setApplied(Applied.newBuilder().setSeq(seq)).build());
  }

  /** Adds a snapshot chunk; returns every chunk of the snapshot once {@code chunk} is its last. */
  Optional<List<Snapshot>> snapshotChunk(Snapshot chunk) {
    if (chunk.getChunk() == 0) {
      snapshot.clear();
    }
    snapshot.add(chunk);
    if (!chunk.getLast()) {
      return Optional.empty();
    }
    List<Snapshot> whole = List.copyOf(snapshot);
    snapshot.clear();
    return Optional.of(whole);
  }
}
