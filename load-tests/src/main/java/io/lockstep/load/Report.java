package io.lockstep.load;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** Writes {@code summary.json} and a self-contained {@code report.html} (inline SVG charts). */
final class Report {
  private Report() {}

  static void write(Path dir, Map<String, Object> summary, Recorder rec) throws Exception {
    Files.writeString(dir.resolve("summary.json"), json(summary) + "\n");
    Files.writeString(dir.resolve("report.html"), html(summary, rec));
  }

  static String json(Object value) {
    StringBuilder b = new StringBuilder();
    json(value, b, "");
    return b.toString();
  }

  private static void json(Object v, StringBuilder b, String indent) {
    if (v instanceof Map<?, ?> map) {
      b.append("{");
      String inner = indent + "  ";
      boolean first = true;
      for (var e : map.entrySet()) {
        b.append(first ? "\n" : ",\n").append(inner).append(quote(String.valueOf(e.getKey()))).append(": ");
        json(e.getValue(), b, inner);
        first = false;
      }
      b.append(first ? "}" : "\n" + indent + "}");
    } else if (v instanceof List<?> list) {
      b.append("[");
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) b.append(", ");
        json(list.get(i), b, indent);
      }
      b.append("]");
    } else if (v instanceof Number || v instanceof Boolean) {
      b.append(v);
    } else if (v == null) {
      b.append("null");
    } else {
      b.append(quote(v.toString()));
    }
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  private static String html(Map<String, Object> summary, Recorder rec) {
    StringBuilder b = new StringBuilder();
    b.append("<!doctype html><html><head><meta charset='utf-8'><title>Lockstep load: ")
        .append(summary.get("scenario"))
        .append("</title><style>body{font:14px sans-serif;margin:2em;max-width:1000px}table{border-collapse:collapse}"
            + "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}"
            + "pre{background:#f6f6f6;padding:1em;overflow:auto}.warn{color:#b00;font-weight:bold}</style></head><body>");
    b.append("<h1>Lockstep load test: ").append(summary.get("scenario")).append("</h1>");
    b.append("<p>Started ").append(summary.get("started")).append(". Figures from a shared machine: compare them")
        .append(" with the baselines measured in the same run, not across runs.</p>");
    if (summary.get("notes") instanceof List<?> notes) {
      for (Object n : notes) {
        String s = String.valueOf(n);
        b.append("<p class='").append(s.startsWith("WARNING") ? "warn" : "").append("'>").append(esc(s)).append("</p>");
      }
    }
    if (summary.get("steps") instanceof List<?> steps && !steps.isEmpty()) steps(b, steps, summary);
    if (summary.get("node_load_charts") instanceof Map<?, ?> charts) nodeLoads(b, charts);
    List<double[]> t;
    synchronized (rec) {
      t = List.copyOf(rec.timeline);
    }
    b.append("<h2>Throughput (acknowledged mutations/s)</h2>").append(chart(t, new int[] {1}, new String[] {"accepted/s"}, ""));
    b.append("<h2>Ack latency over time (ms)</h2>").append(chart(t, new int[] {2, 3}, new String[] {"p50", "p99"}, " ms"));
    b.append("<h2>Fan-out latency over time (ms)</h2>").append(chart(t, new int[] {4, 5}, new String[] {"p50", "p99"}, " ms"));
    b.append("<h2>Changes received by all devices /s</h2>").append(chart(t, new int[] {6}, new String[] {"changes/s"}, ""));
    b.append("<h2>CPU (% of one core) and driver event-loop lag</h2>")
        .append(chart(t, new int[] {7, 8}, new String[] {"driver CPU %", "server CPU %"}, "%"))
        .append(chart(t, new int[] {9}, new String[] {"driver lag p99 ms"}, " ms"));
    b.append("<h2>Percentiles (whole measurement)</h2><table><tr><th></th>");
    double[] ps = {50, 75, 90, 95, 99, 99.9, 100};
    for (double p : ps) b.append("<th>p").append(p == 100 ? "max" : fmt(p)).append("</th>");
    b.append("<th>count</th></tr>");
    row(b, "ack (ms)", rec.ackTotal, ps);
    row(b, "fan-out (ms)", rec.fanoutTotal, ps);
    row(b, "catch-up (ms)", rec.catchUpTotal, ps);
    b.append("</table><h2>summary.json</h2><pre>").append(esc(json(summary))).append("</pre></body></html>\n");
    return b.toString();
  }

  /** skew: each node's load and max/mean over time, per run, from the rebalancer's samples. */
  private static void nodeLoads(StringBuilder b, Map<?, ?> charts) {
    for (Map.Entry<?, ?> run : charts.entrySet()) {
      Map<?, ?> timeline = (Map<?, ?>) run.getValue();
      List<?> nodes = (List<?>) timeline.get("nodes");
      List<double[]> rows = ((List<?>) timeline.get("samples")).stream()
          .map(r -> ((List<?>) r).stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray()).toList();
      int[] columns = java.util.stream.IntStream.rangeClosed(1, nodes.size()).toArray();
      String[] names = nodes.stream().map(n -> String.valueOf(n).replaceFirst(".*@", "")).toArray(String[]::new);
      b.append("<h2>Node load (load units /s), ").append(esc(String.valueOf(run.getKey()))).append("</h2>")
          .append(chart(rows, columns, names, ""))
          .append(chart(rows, new int[] {nodes.size() + 1}, new String[] {"max/mean"}, ""));
    }
  }

  /** Stepped scenarios (fanout): fan-out p99 against offered rate, the knee, a row per step. */
  private static void steps(StringBuilder b, List<?> steps, Map<String, Object> summary) {
    b.append("<h2>Fan-out p99 against offered rate</h2><p>Knee: <b>").append(summary.get("knee_updates_per_s"))
        .append(" updates/s</b> (").append(esc(String.valueOf(summary.get("knee_rule")))).append(").</p>");
    b.append(stepChart(steps, Double.parseDouble(String.valueOf(summary.getOrDefault("knee_p99_ms", "25")))));
    b.append("<table><tr><th>offered/s</th><th>p50 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th>"
        + "<th>deliveries/s</th><th>acked/s</th><th>delivered</th><th>node cores</th><th>node ms/ack</th></tr>");
    for (Object o : steps) {
      Map<?, ?> s = (Map<?, ?>) o;
      Map<?, ?> f = (Map<?, ?>) s.get("fanout");
      b.append("<tr>");
      for (Object v : new Object[] {s.get("offered_per_s"), f.get("p50_ms"), f.get("p99_ms"), f.get("p99.9_ms"),
          f.get("max_ms"), s.get("deliveries_per_s"), s.get("acked_per_s"), s.get("everything_delivered"),
          s.get("node_cores"), s.get("node_cpu_ms_per_ack")}) {
        b.append("<td>").append(v == null ? "-" : esc(String.valueOf(v))).append("</td>");
      }
      b.append("</tr>");
    }
    b.append("</table>");
  }

  /** Steps evenly spaced on x (labelled by rate), p99 on a log scale, the knee threshold dashed. */
  private static String stepChart(List<?> steps, double thresholdMs) {
    int w = 900;
    int h = 260;
    int left = 60;
    int bottom = 40;
    double maxMs = thresholdMs;
    for (Object o : steps) maxMs = Math.max(maxMs, p99((Map<?, ?>) o));
    double top = Math.pow(10, Math.ceil(Math.log10(Math.max(10, maxMs))));
    double bottomMs = 0.1;
    java.util.function.DoubleUnaryOperator y = ms -> h - (h - 10) * (Math.log10(Math.max(bottomMs, ms) / bottomMs)
        / Math.log10(top / bottomMs));
    double dx = (w - left - 40) / (double) Math.max(1, steps.size() - 1);
    StringBuilder s = new StringBuilder("<svg width='" + w + "' height='" + (h + bottom) + "' xmlns='http://www.w3.org/2000/svg'>");
    s.append("<line x1='").append(left).append("' y1='").append(h).append("' x2='").append(w).append("' y2='").append(h)
        .append("' stroke='#999'/><line x1='").append(left).append("' y1='0' x2='").append(left).append("' y2='").append(h)
        .append("' stroke='#999'/>");
    for (double g = bottomMs; g <= top * 1.0001; g *= 10) {
      s.append("<text x='2' y='").append(fmt(y.applyAsDouble(g) + 4)).append("' font-size='11'>").append(fmt(g)).append(" ms</text>");
    }
    s.append("<line x1='").append(left).append("' x2='").append(w).append("' y1='").append(fmt(y.applyAsDouble(thresholdMs)))
        .append("' y2='").append(fmt(y.applyAsDouble(thresholdMs))).append("' stroke='#d62728' stroke-dasharray='6,4'/>")
        .append("<text x='").append(w - 120).append("' y='").append(fmt(y.applyAsDouble(thresholdMs) - 4))
        .append("' font-size='11' fill='#d62728'>p99 ").append(fmt(thresholdMs)).append(" ms</text>");
    s.append("<polyline fill='none' stroke='").append(COLORS[0]).append("' points='");
    for (int i = 0; i < steps.size(); i++) {
      s.append(fmt(left + 20 + i * dx)).append(',').append(fmt(y.applyAsDouble(p99((Map<?, ?>) steps.get(i))))).append(' ');
    }
    s.append("'/>");
    for (int i = 0; i < steps.size(); i++) {
      Map<?, ?> step = (Map<?, ?>) steps.get(i);
      double x = left + 20 + i * dx;
      String color = Boolean.TRUE.equals(step.get("within_knee")) ? COLORS[2] : COLORS[1];
      s.append("<circle cx='").append(fmt(x)).append("' cy='").append(fmt(y.applyAsDouble(p99(step))))
          .append("' r='4' fill='").append(color).append("'/><text x='").append(fmt(x - 15)).append("' y='")
          .append(h + 16).append("' font-size='11'>").append(step.get("offered_per_s")).append("/s</text>");
    }
    s.append("<text x='").append(left).append("' y='").append(h + 34).append("' font-size='12'>fan-out p99 (ms, log scale)")
        .append(" per offered rate (updates/s); green: within the knee rule, red: not</text>");
    return s.append("</svg>").toString();
  }

  private static double p99(Map<?, ?> step) {
    return ((Number) ((Map<?, ?>) step.get("fanout")).get("p99_ms")).doubleValue();
  }

  private static void row(StringBuilder b, String name, Histogram h, double[] ps) {
    b.append("<tr><th>").append(name).append("</th>");
    for (double p : ps) b.append("<td>").append(fmt(h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(p) / 1000.0)).append("</td>");
    b.append("<td>").append(h.getTotalCount()).append("</td></tr>");
  }

  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c"};

  private static String chart(List<double[]> t, int[] columns, String[] names, String unit) {
    int w = 900;
    int h = 220;
    int left = 60;
    int bottom = 30;
    if (t.isEmpty()) return "<p>no samples</p>";
    double maxX = t.get(t.size() - 1)[0];
    double maxY = 0;
    for (double[] r : t) for (int c : columns) maxY = Math.max(maxY, r[c]);
    if (maxY == 0) maxY = 1;
    StringBuilder s = new StringBuilder("<svg width='" + w + "' height='" + (h + bottom) + "' xmlns='http://www.w3.org/2000/svg'>");
    s.append("<line x1='").append(left).append("' y1='").append(h).append("' x2='").append(w).append("' y2='").append(h)
        .append("' stroke='#999'/><line x1='").append(left).append("' y1='0' x2='").append(left).append("' y2='").append(h)
        .append("' stroke='#999'/>");
    for (int i = 0; i <= 4; i++) {
      double y = h - i * (h - 10) / 4.0;
      s.append("<text x='2' y='").append(fmt(y + 4)).append("' font-size='11'>").append(fmt(maxY * i / 4)).append(unit).append("</text>");
    }
    s.append("<text x='").append(w - 60).append("' y='").append(h + 20).append("' font-size='11'>").append(fmt(maxX)).append(" s</text>");
    for (int k = 0; k < columns.length; k++) {
      s.append("<polyline fill='none' stroke='").append(COLORS[k % COLORS.length]).append("' points='");
      for (double[] r : t) {
        double x = left + (w - left) * (maxX == 0 ? 0 : r[0] / maxX);
        double y = h - (h - 10) * r[columns[k]] / maxY;
        s.append(fmt(x)).append(',').append(fmt(y)).append(' ');
      }
      s.append("'/><text x='").append(left + 10 + 150 * k).append("' y='").append(h + 20).append("' font-size='12' fill='")
          .append(COLORS[k % COLORS.length]).append("'>").append(names[k]).append("</text>");
    }
    return s.append("</svg>").toString();
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.2f", v);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
