package io.lockstep.load;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.lockstep.ops.v1.RebalanceStatus;
import io.lockstep.ops.v1.ShardPlacement;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster's load as the rebalancer sees it, through one node's operator routes ({@code GET
 * /lockstep/rebalance}, {@code /lockstep/shards}): sampled over a run, each node's load and the
 * imbalance (max / mean node load), and when it first came within a threshold.
 */
final class RebalanceWatch {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final String operatorToken;
  /** Node addresses in the order of the columns of {@link #samples}. */
  private final List<String> nodes = new ArrayList<>();
  /** Per sample: seconds since the load started, each node's load, the imbalance. */
  private final List<double[]> samples = new ArrayList<>();
  private RebalanceStatus last = RebalanceStatus.getDefaultInstance();

  RebalanceWatch(int managementPort, String operatorToken) {
    this.base = "http://127.0.0.1:" + managementPort;
    this.operatorToken = operatorToken;
  }

  /** Shard id to the address of the node hosting it. */
  Map<String, String> shardOwners() throws Exception {
    ShardPlacement.Builder placement = ShardPlacement.newBuilder();
    get("/lockstep/shards", placement);
    Map<String, String> owners = new HashMap<>();
    placement.getNodesList().forEach(n -> n.getShardsList().forEach(s -> owners.put(s.getShardId(), n.getNode())));
    return owners;
  }

  /** The rebalancer's state now, without sampling it; the last one read when the node does not answer. */
  RebalanceStatus read() {
    RebalanceStatus.Builder status = RebalanceStatus.newBuilder();
    try {
      get("/lockstep/rebalance", status);
      last = status.build();
    } catch (Exception e) {
      // not answering is no state
    }
    return last;
  }

  /** Takes one sample at {@code seconds} into the load; a node that does not answer in time leaves none. */
  void sample(double seconds) {
    RebalanceStatus before = last;
    if (read() == before) return;
    if (nodes.isEmpty()) last.getNodesList().forEach(n -> nodes.add(n.getNode()));
    if (last.getNodesCount() != nodes.size()) return; // a node not measured: no comparable sample
    double[] row = new double[nodes.size() + 2];
    row[0] = seconds;
    last.getNodesList().forEach(n -> {
      int column = nodes.indexOf(n.getNode());
      if (column >= 0) row[column + 1] = n.getLoad();
    });
    row[row.length - 1] = last.getImbalance();
    samples.add(row);
  }

  /** The last status read. */
  RebalanceStatus last() {
    return last;
  }

  /** Seconds into the load of the first sample at or under {@code threshold} after one above it; -1 if none. */
  double firstWithin(double threshold) {
    boolean above = false;
    for (double[] row : samples) {
      double imbalance = row[row.length - 1];
      if (imbalance > threshold) above = true;
      else if (above) return row[0];
    }
    return -1;
  }

  /** Share of the samples from {@code fromSeconds} on that are at or under {@code threshold}. */
  double shareWithin(double threshold, double fromSeconds) {
    long from = samples.stream().filter(r -> r[0] >= fromSeconds).count();
    long within = samples.stream().filter(r -> r[0] >= fromSeconds && r[r.length - 1] <= threshold).count();
    return from == 0 ? 0 : within / (double) from;
  }

  /** The largest imbalance sampled. */
  double maxImbalance() {
    return samples.stream().mapToDouble(r -> r[r.length - 1]).max().orElse(0);
  }

  /** The samples for summary.json and the report's chart: node names and rows. */
  Map<String, Object> timeline() {
    Map<String, Object> timeline = new LinkedHashMap<>();
    timeline.put("nodes", List.copyOf(nodes));
    timeline.put("columns", "t_s, load of each node (load units /s), max/mean");
    List<List<Double>> rows = new ArrayList<>();
    for (double[] row : samples) {
      List<Double> values = new ArrayList<>();
      for (double v : row) values.add(LoadRun.round(v));
      rows.add(values);
    }
    timeline.put("samples", rows);
    return timeline;
  }

  /** A text chart: one line per sample every {@code everySeconds}, each node's load as a bar. */
  String textChart(double everySeconds) {
    double max = samples.stream().flatMapToDouble(r -> java.util.Arrays.stream(r, 1, r.length - 1)).max().orElse(1);
    StringBuilder out = new StringBuilder();
    double next = 0;
    for (double[] row : samples) {
      if (row[0] < next - 1) continue; // samples come late by up to a poll: a second's slack keeps the grid
      next = row[0] + everySeconds;
      out.append(String.format(java.util.Locale.ROOT, "%5.0fs  max/mean %4.2f ", row[0], row[row.length - 1]));
      for (int n = 1; n < row.length - 1; n++) {
        int width = (int) Math.round(20 * row[n] / Math.max(1e-9, max));
        out.append(String.format(java.util.Locale.ROOT, " |%-20s %6.0f", "#".repeat(width), row[n]));
      }
      out.append('\n');
    }
    return out.toString();
  }

  private void get(String path, Message.Builder into) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Authorization", "Bearer " + operatorToken).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) throw new IllegalStateException(path + " answered " + response.statusCode());
    JsonFormat.parser().ignoringUnknownFields().merge(response.body(), into);
  }
}
