package io.lockstep.device;

/**
 * The delivery lag of one connection: the session names its device once authenticated, the
 * outgoing stream reports each live frame when the socket takes it, the session each
 * {@code Applied} report. Remembers the commit time of the last {@value #REMEMBERED} live frames
 * so an {@code Applied} seq finds its own.
 */
final class ConnectionLag {
  static final int REMEMBERED = 1024;

  private final DeliveryLag lag;
  private volatile String merchantId;
  private volatile String deviceId;
  // Session thread only: last seqs and commit times of live frames, a ring that grows to
  // REMEMBERED as frames come. Allocated whole, the two arrays were 16 KiB of every connection,
  // two thirds of an idle one's heap.
  private static final int FIRST_CAPACITY = 16;
  private long[] lastSeqs = new long[0];
  private long[] committedAt = new long[0];
  private int next;

  ConnectionLag(DeliveryLag lag) {
    this.lag = lag;
  }

  void identify(String merchantId, String deviceId) {
    this.merchantId = merchantId;
    this.deviceId = deviceId;
  }

  /** A live frame up to {@code lastSeq}, committed at {@code committedAtMillis}, was queued (session thread). */
  void queued(long lastSeq, long committedAtMillis) {
    if (next == lastSeqs.length) {
      if (lastSeqs.length < REMEMBERED) {
        // Not wrapped yet: the slots are in queue order, so growing keeps them in order.
        int capacity = Math.min(REMEMBERED, Math.max(FIRST_CAPACITY, lastSeqs.length * 2));
        lastSeqs = java.util.Arrays.copyOf(lastSeqs, capacity);
        committedAt = java.util.Arrays.copyOf(committedAt, capacity);
      } else {
        next = 0;
      }
    }
    lastSeqs[next] = lastSeq;
    committedAt[next] = committedAtMillis;
    next++;
  }

  /** The socket took {@code frame} (stream thread). */
  void written(Outgoing.Frame frame, long nowMillis) {
    if (frame.committedAtMillis() > 0 && frame.liveChanges() > 0 && deviceId != null) {
      lag.written(merchantId, deviceId, Math.max(0, nowMillis - frame.committedAtMillis()), frame.liveChanges());
    }
  }

  /** The device applied up to {@code seq} (session thread): the lag of the frame that held it. */
  void applied(long seq, long nowMillis) {
    // Live frames are queued in seq order: walking back from the newest, the last frame whose
    // last seq still covers {@code seq} is the one that held it. A device applies what it was
    // sent lately, so the walk is short.
    long best = 0;
    int capacity = lastSeqs.length;
    for (int n = 1, i = next - 1; n <= capacity; n++, i = i == 0 ? capacity - 1 : i - 1) {
      if (committedAt[i] == 0 || lastSeqs[i] < seq) break;
      best = committedAt[i];
    }
    if (best > 0 && deviceId != null) lag.applied(merchantId, deviceId, Math.max(0, nowMillis - best));
  }

  void closed() {
    if (deviceId != null) lag.closed(merchantId, deviceId);
  }
}
