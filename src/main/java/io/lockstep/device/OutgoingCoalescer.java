package io.lockstep.device;

import java.util.ArrayList;
import java.util.List;

/**
 * Joins consecutive {@code Changes} frames that wait for the same socket into one WebSocket
 * message, up to {@code maxBytes}. It is the seed and aggregate of a {@code batch} stage, so it
 * joins only what queued up while the socket was busy: at low load every frame goes out alone
 * and at once; under load a device gets fewer, larger frames.
 *
 * <p>Joining is a byte concatenation. Two encodings of {@code ServerFrame{changes = Changes{…}}}
 * written one after the other parse as one {@code ServerFrame} whose {@code Changes} holds the
 * changes of both, in order (protobuf merges a repeated embedded message field by appending). Acks
 * are never joined: a device pairs one {@code Acks} frame with one push.
 */
final class OutgoingCoalescer {
  private final int maxBytes;

  OutgoingCoalescer(int maxBytes) {
    if (maxBytes < 1) throw new IllegalArgumentException("maxBytes < 1: " + maxBytes);
    this.maxBytes = maxBytes;
  }

  /** A new batch holding {@code first}. */
  Batch seed(Outgoing first) {
    return new Batch(maxBytes).add(first);
  }

  /** What queued up for one socket, joined on the way out. */
  static final class Batch {
    private final int maxBytes;
    private final List<Outgoing> ready = new ArrayList<>(4);
    private final List<byte[]> run = new ArrayList<>(4); // changes frames to be joined
    private int runBytes;
    private long runCommittedAt; // the oldest commit time of the run's live frames; 0: none
    private int runParts;

    private Batch(int maxBytes) {
      this.maxBytes = maxBytes;
    }

    Batch add(Outgoing next) {
      if (next instanceof Outgoing.Frame frame && frame.changes()) {
        if (!run.isEmpty() && runBytes + frame.serverFrame().length > maxBytes) endRun();
        run.add(frame.serverFrame());
        runBytes += frame.serverFrame().length;
        if (frame.committedAtMillis() > 0) {
          runCommittedAt = runCommittedAt == 0 ? frame.committedAtMillis() : Math.min(runCommittedAt, frame.committedAtMillis());
          runParts += frame.liveChanges();
        }
      } else {
        endRun();
        ready.add(next);
      }
      return this;
    }

    /** The frames to send, in order. */
    List<Outgoing> frames() {
      endRun();
      return ready;
    }

    private void endRun() {
      if (run.isEmpty()) return;
      if (run.size() == 1) {
        ready.add(new Outgoing.Frame(run.get(0), true, runCommittedAt, runParts));
      } else {
        byte[] joined = new byte[runBytes];
        int at = 0;
        for (byte[] part : run) {
          System.arraycopy(part, 0, joined, at, part.length);
          at += part.length;
        }
        ready.add(new Outgoing.Frame(joined, true, runCommittedAt, runParts));
      }
      run.clear();
      runBytes = 0;
      runCommittedAt = 0;
      runParts = 0;
    }
  }
}
