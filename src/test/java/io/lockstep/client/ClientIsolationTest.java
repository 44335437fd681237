package io.lockstep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The device client library stands alone: nothing reachable from {@code io.lockstep.client}
 * (following class references through every io.lockstep class it uses, in the compiled bytecode)
 * is Pekko, Scala, Kryo, Typesafe Config or a server package (serialization included, but for the
 * protocol mapping the client shares). A till embeds the library, not a node. Checked with the JDK's {@code jdeps} on {@code target/classes}.
 */
class ClientIsolationTest {
  private static final List<String> FORBIDDEN = List.of(
      "org.apache.pekko.", "scala.", "com.esotericsoftware.", "com.typesafe.config.",
      "io.lockstep.merchant.", "io.lockstep.device.", "io.lockstep.api.", "io.lockstep.ops.",
      "io.lockstep.security.", "io.lockstep.rebalance.", "io.lockstep.http.", "io.lockstep.persistence.",
      "io.lockstep.serialization.", "io.lockstep.config.", "io.lockstep.demo.", "io.lockstep.node.",
      "io.lockstep.LockstepNode", "io.lockstep.Main", "io.lockstep.ReplayCommand");
  // The protocol mapping the client shares with the server, until it moves out of serialization
  // into its own package (issue 13, move 2): pure Java on domain and the generated protos.
  private static final Set<String> ALLOWED = Set.of(
      "io.lockstep.serialization.DeviceProtocolMapper", "io.lockstep.serialization.InvalidMutationException");
  private static final Pattern EDGE = Pattern.compile("^\\s+(\\S+)\\s+->\\s+(\\S+)\\s");

  private static Map<String, Set<String>> references() {
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new AssertionError("the JDK has no jdeps"));
    StringWriter out = new StringWriter();
    int code = jdeps.run(new PrintWriter(out), new PrintWriter(out), "-verbose:class", "-filter:none",
        Path.of("target", "classes").toString());
    assertEquals(0, code, out.toString());
    Map<String, Set<String>> edges = new HashMap<>();
    for (String line : out.toString().split("\n")) {
      Matcher m = EDGE.matcher(line);
      if (m.find()) edges.computeIfAbsent(m.group(1), k -> new HashSet<>()).add(m.group(2));
    }
    return edges;
  }

  @Test
  void nothingReachableFromTheClientIsPekkoKryoOrAServerPart() {
    Map<String, Set<String>> edges = references();
    Set<String> reached = new TreeSet<>();
    Deque<String> todo = new ArrayDeque<>();
    edges.keySet().stream().filter(c -> c.startsWith("io.lockstep.client.")).forEach(todo::add);
    assertTrue(todo.size() > 10, "client classes found: " + todo);
    Map<String, String> via = new HashMap<>();
    while (!todo.isEmpty()) {
      String c = todo.pop();
      if (!reached.add(c)) continue;
      if (!c.startsWith("io.lockstep.")) continue; // libraries: their own dependencies are theirs
      for (String next : edges.getOrDefault(c, Set.of())) {
        via.putIfAbsent(next, c);
        todo.push(next);
      }
    }
    Set<String> forbidden = new TreeSet<>();
    for (String c : reached) {
      if (FORBIDDEN.stream().anyMatch(c::startsWith) && !ALLOWED.contains(c.split("\\$")[0])) forbidden.add(c + " (via " + via.get(c) + ")");
    }
    assertEquals(Set.of(), forbidden, "the client library must not reach these");
    // Every client package is walked, the store's included.
    assertTrue(reached.contains("io.lockstep.client.store.ReplicaStore"), "store package reached");
  }
}
