package io.lockstep.testing.history;

import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.testing.history.History.Acked;
import io.lockstep.testing.history.History.Connected;
import io.lockstep.testing.history.History.Dot;
import io.lockstep.testing.history.History.Event;
import io.lockstep.testing.history.History.Ordered;
import io.lockstep.testing.history.History.Received;
import io.lockstep.testing.history.History.SnapshotReceived;
import io.lockstep.testing.history.Verdict.Kind;
import io.lockstep.testing.history.Verdict.Violation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks a {@link History} the way Maelstrom's kafka workload and Elle's list-append check theirs:
 * it reconstructs the merchant's order (the server's, when the test supplied it, merged with every
 * change a device received) and reports every violation of:
 *
 * <pre>
 *  property                                                  violation
 *  each ACCEPTED mutation is in the order ...                LOST
 *  ... exactly once ...                                      DUPLICATED
 *  ... at the seq its ack named                              ACK_SEQ_MISMATCH
 *  no seq is given to two mutations                          SEQ_REUSED
 *  each device receives seq after seq, from its Hello's      DELIVERY_GAP, DELIVERY_OUT_OF_ORDER
 *    after_seq or its last snapshot, without a hole
 *  each device's final replica equals the server's state     DIVERGED
 * </pre>
 *
 * A DUPLICATE ack says the mutation was stored before: it must be in the order too (any seq).
 */
public final class HistoryChecker {
  private static final int MAX_KEYS_SHOWN = 5;

  private HistoryChecker() {}

  public static Verdict check(History history) {
    Map<String, List<Event>> events = history.events();
    Optional<List<Ordered>> serverOrder = history.serverOrder();
    Order order = Order.of(serverOrder.orElse(List.of()), events);
    List<Violation> violations = new ArrayList<>(order.violations());
    events.forEach((device, log) -> violations.addAll(acknowledgements(device, log, order)));
    events.forEach((device, log) -> violations.addAll(delivery(device, log)));
    violations.addAll(convergence(history));
    String summary = events.size() + " devices, " + order.size() + " seqs ("
        + (serverOrder.isPresent() ? "server order supplied" : "order from deliveries only") + "), "
        + history.finalReplicas().size() + " final replicas";
    return new Verdict(violations, summary);
  }

  private static List<Violation> acknowledgements(String device, List<Event> log, Order order) {
    List<Violation> found = new ArrayList<>();
    for (Event event : log) {
      if (!(event instanceof Acked ack)) continue;
      if (ack.status() != AckStatus.ACCEPTED && ack.status() != AckStatus.DUPLICATE) continue;
      Dot dot = new Dot(device, ack.counter());
      Set<Long> seqs = order.seqsOf(dot);
      if (seqs.isEmpty()) {
        found.add(new Violation(Kind.LOST, device, dot + " acknowledged " + ack.status() + " at seq " + ack.seq()
            + " but absent from the order"));
      } else if (ack.status() == AckStatus.ACCEPTED && !seqs.contains(ack.seq())) {
        found.add(new Violation(Kind.ACK_SEQ_MISMATCH, device, dot + " acknowledged at seq " + ack.seq()
            + " but the order has it at " + seqs));
      }
    }
    return found;
  }

  private static List<Violation> delivery(String device, List<Event> log) {
    List<Violation> found = new ArrayList<>();
    long last = 0;
    for (Event event : log) {
      if (event instanceof Connected connected) last = connected.afterSeq();
      else if (event instanceof SnapshotReceived snapshot) last = snapshot.seq();
      else if (event instanceof Received received) {
        long seq = received.seq();
        if (seq > last + 1) {
          String missing = seq == last + 2 ? String.valueOf(last + 1) : (last + 1) + ".." + (seq - 1);
          found.add(new Violation(Kind.DELIVERY_GAP, device, "seq " + seq + " after " + last + ", missing " + missing));
        } else if (seq <= last) {
          found.add(new Violation(Kind.DELIVERY_OUT_OF_ORDER, device, "seq " + seq + " after " + last));
        }
        last = Math.max(last, seq);
      }
    }
    return found;
  }

  private static List<Violation> convergence(History history) {
    Optional<Map<String, ?>> server = history.serverState();
    if (server.isEmpty()) return List.of();
    List<Violation> found = new ArrayList<>();
    history.finalReplicas().forEach((device, replica) -> {
      Set<String> differing = new TreeSet<>();
      for (String key : union(replica.keySet(), server.get().keySet())) {
        if (!Objects.equals(replica.get(key), server.get().get(key))) differing.add(key);
      }
      if (!differing.isEmpty()) {
        found.add(new Violation(Kind.DIVERGED, device, differing.size() + " record(s) differ from the server's state: "
            + describe(differing, replica, server.get())));
      }
    });
    return found;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new TreeSet<>(a);
    all.addAll(b);
    return all;
  }

  private static String describe(Set<String> keys, Map<String, ?> replica, Map<String, ?> server) {
    StringBuilder b = new StringBuilder();
    keys.stream().limit(MAX_KEYS_SHOWN).forEach(key -> b.append("\n      ").append(key)
        .append(": device ").append(oneLine(replica.get(key))).append(", server ").append(oneLine(server.get(key))));
    if (keys.size() > MAX_KEYS_SHOWN) b.append("\n      … and ").append(keys.size() - MAX_KEYS_SHOWN).append(" more");
    return b.toString();
  }

  private static String oneLine(Object value) {
    return value == null ? "absent" : "{" + value.toString().strip().replaceAll("\\s*\n\\s*", " ") + "}";
  }

  /** Every (seq, dot) anyone observed: the server's order and each device's deliveries. */
  private record Order(Map<Long, Map<Dot, Set<String>>> bySeq, Map<Dot, Set<Long>> byDot) {
    static Order of(List<Ordered> server, Map<String, List<Event>> events) {
      Order order = new Order(new TreeMap<>(), new LinkedHashMap<>());
      server.forEach(o -> order.observe(o.seq(), o.dot(), "server"));
      events.forEach((device, log) -> log.stream()
          .filter(Received.class::isInstance).map(Received.class::cast)
          .forEach(r -> order.observe(r.seq(), r.origin(), device)));
      return order;
    }

    void observe(long seq, Dot dot, String source) {
      bySeq.computeIfAbsent(seq, s -> new LinkedHashMap<>()).computeIfAbsent(dot, d -> new TreeSet<>()).add(source);
      byDot.computeIfAbsent(dot, d -> new TreeSet<>()).add(seq);
    }

    Set<Long> seqsOf(Dot dot) {
      return byDot.getOrDefault(dot, Set.of());
    }

    int size() {
      return bySeq.size();
    }

    List<Violation> violations() {
      List<Violation> found = new ArrayList<>();
      bySeq.forEach((seq, dots) -> {
        if (dots.size() > 1) found.add(new Violation(Kind.SEQ_REUSED, "server", "seq " + seq + " given to " + String.join(" and ",
            dots.entrySet().stream().map(e -> e.getKey() + " (seen by " + String.join(", ", e.getValue()) + ")").toList())));
      });
      byDot.forEach((dot, seqs) -> {
        if (seqs.size() > 1) found.add(new Violation(Kind.DUPLICATED, "server", dot + " at seqs " + seqs));
      });
      return found;
    }
  }
}
