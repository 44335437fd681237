package io.lockstep.load;

import io.lockstep.protocol.v1.AdjustStock;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Push;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The baselines measured in the same run as a scenario, and the scenario's ratios to them: a
 * plain WebSocket echo on this host (network) and batched JDBC inserts into the same database
 * kind (storage). See BENCHMARKS.md for what each one stands for.
 */
final class SameRunBaselines {
  private final LoadRun run;
  /** What summary.json shows under {@code baselines}. */
  final Map<String, Object> baselines = new LinkedHashMap<>();

  SameRunBaselines(LoadRun run) {
    this.run = run;
  }

  private int samplePushBytes() {
    Mutation m = Mutation.newBuilder().setCounter(123456).setHlc(System.currentTimeMillis() << 16)
        .setAdjustStock(AdjustStock.newBuilder().setItemId("item-7").setDelta(1)).build();
    ClientFrame one = ClientFrame.newBuilder().setPush(Push.newBuilder().addMutations(m)).build();
    return one.getSerializedSize() * 2;
  }

  void network() throws Exception {
    int port = LoadRun.freePort();
    String cp = System.getProperty("java.class.path");
    Process echo = new ProcessBuilder("java", "-Xmx1g", "-cp", cp, EchoServer.class.getName(), String.valueOf(port))
        .redirectErrorStream(true).redirectOutput(run.out.resolve("echo.log").toFile()).start();
    try {
      LoadRun.await(() -> {
        try (var s = new java.net.Socket("127.0.0.1", port)) {
          return true;
        } catch (Exception e) {
          return false;
        }
      }, 30);
      int connections = Math.min(run.devicesPlanned(), run.intOpt("echo-connections", 1000));
      var r = NetworkBaseline.run(run.clients.get(0), URI.create("ws://127.0.0.1:" + port + "/echo"), connections,
          samplePushBytes(), 2, Math.min(10, Math.max(3, run.duration / 3)));
      baselines.put("network", Map.of("what", "plain WebSocket echo (Pekko HTTP, separate JVM) on this host, same client",
          "frames_per_s", LoadRun.round(r.framesPerSecond()), "rtt_p50_ms", LoadRun.round(r.rttP50Ms()), "rtt_p99_ms", LoadRun.round(r.rttP99Ms()),
          "connections", r.connections(), "frame_bytes", r.frameBytes(), "in_flight_per_connection", r.inFlight()));
      System.out.printf("network baseline: %.0f frames/s, rtt p50 %.2f ms p99 %.2f ms%n",
          r.framesPerSecond(), r.rttP50Ms(), r.rttP99Ms());
    } finally {
      echo.destroyForcibly();
    }
  }

  void storage() throws Exception {
    Object perWrite = run.summary.get("server_events_per_write");
    int batch = perWrite instanceof Number n ? Math.max(1, (int) Math.round(n.doubleValue())) : 50;
    int merchants = run.summary.get("merchants") instanceof Number n ? n.intValue() : 1;
    int writers = Math.min(merchants, 10);
    long changes = Math.max(1, run.rec.changesReceived.sum());
    // The stored event holds the mutation and the record's resolved state, like a Change on the wire.
    int eventBytes = (int) Math.max(64, run.rec.changeBytesReceived.sum() / changes);
    var r = StorageBaseline.run(run.dbUrl, run.dbUser, run.dbPassword, batch, writers, eventBytes, Math.min(10, Math.max(3, run.duration / 3)));
    baselines.put("storage", Map.of("what", "JDBC batch inserts into a journal-shaped table, one transaction per batch, same database kind",
        "rows_per_s", LoadRun.round(r.rowsPerSecond()), "commits_per_s", LoadRun.round(r.commitsPerSecond()), "batch", r.batch(),
        "writers", r.writers(), "event_bytes", r.eventBytes(), "url", run.dbUrl.replaceAll("password=[^&]*", "password=***")));
    System.out.printf("storage baseline: %.0f rows/s (batch %d, %d writers, %d bytes)%n",
        r.rowsPerSecond(), batch, writers, eventBytes);
    if (run.summary.get("server_journal_rows_per_s") instanceof Number rows) {
      System.out.printf("journal (same run): %.0f rows/s = %.2f of the storage baseline%n",
          rows.doubleValue(), rows.doubleValue() / Math.max(1e-9, r.rowsPerSecond()));
    }
  }

  void ratios() {
    Map<String, Object> ratios = new LinkedHashMap<>();
    double tp = ((Number) run.summary.getOrDefault("throughput_per_s", 0)).doubleValue();
    if (baselines.get("storage") instanceof Map<?, ?> s && ((Number) s.get("rows_per_s")).doubleValue() > 0) {
      ratios.put("throughput_vs_storage", LoadRun.round(tp / ((Number) s.get("rows_per_s")).doubleValue()));
      if (run.summary.get("server_journal_rows_per_s") instanceof Number rows) {
        ratios.put("journal_rows_vs_storage", LoadRun.round(rows.doubleValue() / ((Number) s.get("rows_per_s")).doubleValue()));
      }
    }
    if (baselines.get("network") instanceof Map<?, ?> n) {
      double frames = ((Number) n.get("frames_per_s")).doubleValue();
      double pushes = run.rec.pushesSent.sum() / Math.max(1.0, ((Number) run.summary.getOrDefault("duration_s", 1)).doubleValue());
      if (frames > 0 && "steady hot".contains(run.scenario)) {
        double mutationsPerPush = run.rec.mutationsSent.sum() / (double) Math.max(1, run.rec.pushesSent.sum());
        ratios.put("throughput_vs_network", LoadRun.round(tp / (frames * mutationsPerPush)));
      }
      double rtt = ((Number) n.get("rtt_p50_ms")).doubleValue();
      double ack = ((Number) run.summary.getOrDefault("ack_p50_ms", 0)).doubleValue();
      if (rtt > 0 && ack > 0) ratios.put("ack_p50_vs_echo_rtt_p50", LoadRun.round(ack / rtt));
      if ("reconnect-storm".equals(run.scenario) && frames > 0) ratios.put("catchup_changes_vs_echo_frames", LoadRun.round(tp / frames));
    }
    baselines.put("ratios", ratios);
  }
}
