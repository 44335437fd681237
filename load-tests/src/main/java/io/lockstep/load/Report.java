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
