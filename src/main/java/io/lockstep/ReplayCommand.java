package io.lockstep;

import com.google.protobuf.util.JsonFormat;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lockstep.merchant.MerchantReplay;
import io.lockstep.ops.JournalReplay;
import io.lockstep.ops.v1.RuleDriftReport;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code replay --merchant M [--to-seq N] [--diff A B] [--check]}: rebuilds a merchant from the
 * journal of the configured database (the embedded default, or {@code LOCKSTEP_DB_URL} …, as for
 * {@code serve}) and prints it in the proto3 JSON mapping of the product API.
 *
 * <pre>
 *   (no mode)     the merchant at N (default: its head): items, orders, conflicts
 *   --diff A B    each record that differs between seq A and seq B, with the seqs that touched it
 *   --check       every stored mutation up to N resolved again with today's merge rules; lists
 *                 each one they decide differently (rule drift) and exits with 1 when there is any
 * </pre>
 *
 * Runs a local actor system (no cluster) for Pekko Persistence Query. The embedded H2 database is
 * a file one process opens at a time: stop the node first, or use PostgreSQL.
 */
final class ReplayCommand {
  static final String USAGE = "replay --merchant M [--to-seq N] [--diff A B] [--check]";
  private static final Set<String> OPTIONS = Set.of("merchant", "to-seq", "diff", "check");
  private static final Duration TIMEOUT = Duration.ofMinutes(30);
  private static final JsonFormat.Printer JSON = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();

  private ReplayCommand() {}

  static int run(Map<String, String> options, PrintStream out, PrintStream err, Supplier<Config> config) {
    String merchant = options.get("merchant");
    long from;
    long to;
    try {
      for (String name : options.keySet()) {
        if (!OPTIONS.contains(name)) throw new IllegalArgumentException("unknown option --" + name);
      }
      if (merchant == null) throw new IllegalArgumentException("--merchant is required");
      if (options.containsKey("diff") && (options.containsKey("to-seq") || options.containsKey("check"))) {
        throw new IllegalArgumentException("--diff takes its own seqs; without --to-seq and --check");
      }
      if (options.containsKey("diff")) {
        String[] seqs = options.get("diff").split(" ");
        from = seq(seqs[0], "--diff");
        to = seq(seqs[1], "--diff");
        if (to < from) throw new IllegalArgumentException("--diff A B needs A <= B");
      } else {
        from = 0;
        to = options.containsKey("to-seq") ? seq(options.get("to-seq"), "--to-seq") : Long.MAX_VALUE;
      }
    } catch (IllegalArgumentException e) {
      err.println("lockstep replay: " + e.getMessage());
      err.println("usage: java -jar lockstep.jar " + USAGE);
      return Main.USAGE;
    }
    quietLogs();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lockstep-replay", local(config.get()));
    try {
      MerchantReplay replay = new JournalReplay(system,
              PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier()))
          .replay(merchant, from, to)
          .toCompletableFuture()
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (replay.headSeq() == 0) {
        err.println("lockstep replay: merchant " + merchant + " has stored nothing in this database");
        return Main.FAILED;
      }
      if (options.containsKey("diff")) {
        out.println(JSON.print(replay.diff()));
        return Main.OK;
      }
      if (options.containsKey("check")) {
        RuleDriftReport drift = replay.drift();
        out.println(JSON.print(drift));
        return drift.getDriftsCount() == 0 ? Main.OK : Main.FAILED;
      }
      out.println(JSON.print(replay.history()));
      return Main.OK;
    } catch (Exception e) {
      Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
      err.println("lockstep replay failed: " + cause);
      return Main.FAILED;
    } finally {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        // exiting anyway
      }
    }
  }

  /** The node's configuration without the cluster: one local system that only reads the journal. */
  private static Config local(Config config) {
    return ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.persistence.journal.auto-start-journals = []
        pekko.persistence.snapshot-store.auto-start-snapshot-stores = []
        pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
        pekko.loglevel = WARNING
        """).withFallback(config).resolve();
  }

  private static long seq(String raw, String option) {
    try {
      long seq = Long.parseLong(raw);
      if (seq >= 0) return seq;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(option + ": not a seq (an integer >= 0): " + raw);
  }

  private static void quietLogs() {
    if (System.getenv("LOCKSTEP_LOG_LEVEL") != null) return;
    if (LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
  }
}
