package io.lockstep.load;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * The network limit: the same WebSocket client over the same loopback to a plain echo server,
 * the same number of connections and frame size, each connection keeping {@code inFlight}
 * frames outstanding (closed loop: the most the network path and the HTTP stack carry).
 */
final class NetworkBaseline {
  record Result(double framesPerSecond, double rttP50Ms, double rttP99Ms, int connections, int frameBytes, int inFlight) {}

  static Result run(HttpClient client, URI uri, int connections, int frameBytes, int inFlight, double seconds)
      throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    LongAdder frames = new LongAdder();
    org.HdrHistogram.Recorder rtt = new org.HdrHistogram.Recorder(60_000_000L, 3);
    List<Echo> echoes = new ArrayList<>();
    List<CompletableFuture<WebSocket>> opening = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      Echo echo = new Echo(frameBytes, running, frames, rtt);
      echoes.add(echo);
      opening.add(client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30)).buildAsync(uri, echo)
          .thenApply(ws -> echo.ws = ws));
      if (opening.size() % 200 == 0) CompletableFuture.allOf(opening.toArray(CompletableFuture[]::new)).join();
    }
    CompletableFuture.allOf(opening.toArray(CompletableFuture[]::new)).join();
    for (Echo echo : echoes) for (int i = 0; i < inFlight; i++) echo.sendOne();
    // Warm-up: the echo JVM starts cold, as a node would not be after its own warm-up.
    Thread.sleep(Math.max(1000, (long) (seconds * 500)));
    rtt.getIntervalHistogram();
    long framesBefore = frames.sum();
    long start = System.nanoTime();
    Thread.sleep((long) (seconds * 1000));
    running.set(false);
    double elapsed = (System.nanoTime() - start) / 1e9;
    Histogram h = rtt.getIntervalHistogram();
    for (Echo echo : echoes) echo.ws.abort();
    return new Result((frames.sum() - framesBefore) / elapsed, h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
        connections, frameBytes, inFlight);
  }

  private static final class Echo implements WebSocket.Listener {
    private final byte[] payload;
    private final AtomicBoolean running;
    private final LongAdder frames;
    private final org.HdrHistogram.Recorder rtt;
    private final java.util.concurrent.ConcurrentLinkedQueue<Long> sentAt = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private CompletableFuture<?> chain = CompletableFuture.completedFuture(null);
    private int received;
    volatile WebSocket ws;

    Echo(int frameBytes, AtomicBoolean running, LongAdder frames, org.HdrHistogram.Recorder rtt) {
      this.payload = new byte[frameBytes];
      this.running = running;
      this.frames = frames;
      this.rtt = rtt;
    }

    synchronized void sendOne() {
      sentAt.add(System.nanoTime());
      WebSocket socket = ws;
      chain = chain.thenCompose(x -> socket.sendBinary(ByteBuffer.wrap(payload), true)).exceptionally(e -> null);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
      received += data.remaining();
      data.position(data.limit());
      if (last || received >= payload.length) {
        received = 0;
        Long sent = sentAt.poll();
        if (sent != null) rtt.recordValue(Math.min((System.nanoTime() - sent) / 1000, 60_000_000L));
        frames.increment();
        if (running.get()) sendOne();
      }
      socket.request(1);
      return null;
    }
  }
}
