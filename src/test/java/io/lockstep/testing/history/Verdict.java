package io.lockstep.testing.history;

import java.util.List;

/**
 * What {@link HistoryChecker} found: every violation, not just the first, and a {@link #toString}
 * meant for an assertion message ({@code assertTrue(verdict.ok(), verdict::toString)}).
 */
public record Verdict(List<Violation> violations, String summary) {

  /** The properties a history can break. */
  public enum Kind {
    /** An acknowledged mutation is not in the server's order. */
    LOST,
    /** One mutation appears at more than one seq. */
    DUPLICATED,
    /** One seq was given to more than one mutation. */
    SEQ_REUSED,
    /** An acknowledged mutation appears at another seq than its ack named. */
    ACK_SEQ_MISMATCH,
    /** A device received a seq beyond the next one it expected. */
    DELIVERY_GAP,
    /** A device received a seq at or below one it already had (a repeat or a reorder). */
    DELIVERY_OUT_OF_ORDER,
    /** A device's final replica differs from the server's state. */
    DIVERGED
  }

  /** One broken property; {@code where} is a device id, or "server". */
  public record Violation(Kind kind, String where, String detail) {
    @Override
    public String toString() {
      return kind + " at " + where + ": " + detail;
    }
  }

  public Verdict {
    violations = List.copyOf(violations);
  }

  public boolean ok() {
    return violations.isEmpty();
  }

  public List<Kind> kinds() {
    return violations.stream().map(Violation::kind).distinct().toList();
  }

  @Override
  public String toString() {
    if (ok()) return "history valid (" + summary + ")";
    StringBuilder b = new StringBuilder("history invalid, ").append(violations.size())
        .append(" violation(s) (").append(summary).append("):");
    violations.forEach(v -> b.append("\n  ").append(v));
    return b.toString();
  }
}
