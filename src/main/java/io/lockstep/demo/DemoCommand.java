package io.lockstep.demo;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lockstep demo [--devices N] [--merchants M] [--seconds S] [--seed X]}: parses the options
 * and runs the {@link Demo}. Exit codes: 0 converged, 1 diverged or failed, 2 usage error.
 */
public final class DemoCommand {

  static final String USAGE =
      "demo [--devices N] [--merchants M] [--seconds S] [--seed X]   (defaults 6, 2, 20, 1)";

  private DemoCommand() {}

  /** Runs the demo with Main's parsed options; returns the process exit code. */
  public static int run(Map<String, String> options, PrintStream out, PrintStream err) {
    Demo.Options parsed;
    try {
      parsed = parse(options);
    } catch (IllegalArgumentException e) {
      err.println("lockstep demo: " + e.getMessage());
      err.println("usage: java -jar lockstep.jar " + USAGE);
      return 2;
    }
    quietLogs();
    try {
      return Demo.run(parsed, out).converged() ? 0 : 1;
    } catch (Exception e) {
      err.println("lockstep demo failed: " + e);
      return 1;
    }
  }

  static Demo.Options parse(Map<String, String> options) {
    for (String name : options.keySet()) {
      if (!Set.of("devices", "merchants", "seconds", "seed").contains(name)) {
        throw new IllegalArgumentException("unknown option --" + name);
      }
    }
    return new Demo.Options(
        (int) number(options, "devices", 6),
        (int) number(options, "merchants", 2),
        Duration.ofSeconds(number(options, "seconds", 20)),
        number(options, "seed", 1));
  }

  private static long number(Map<String, String> options, String name, long fallback) {
    String value = options.get(name);
    if (value == null) {
      return fallback;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " is not a number: " + value);
    }
  }

  /** The node's INFO logs would bury the status lines; LOCKSTEP_LOG_LEVEL still wins. */
  private static void quietLogs() {
    if (System.getenv("LOCKSTEP_LOG_LEVEL") != null) {
      return;
    }
    if (LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)
        instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
  }
}
