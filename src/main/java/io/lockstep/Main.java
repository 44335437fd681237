package io.lockstep;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import io.lockstep.config.LockstepConfig;
import io.lockstep.config.LockstepSettings;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.security.OperatorPrincipal;
import io.lockstep.security.Principal;
import io.lockstep.security.ServicePrincipal;
import io.lockstep.security.SigningKeyException;
import io.lockstep.security.SigningKeys;
import io.lockstep.security.TokenService;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Command line entry point of {@code lockstep.jar}.
 *
 * <pre>
 *   serve                                  run a node (the default without arguments)
 *   token --merchant M --device D [--ttl T]      print a device token
 *   token --service NAME [--merchant M] [--ttl T] print a service token (all merchants without --merchant)
 *   token --operator NAME [--ttl T]              print an operator token
 *   demo [--devices N] [--merchants M] [--seconds S] [--seed X]  simulate devices, check convergence
 *   keygen --out FILE                      write a new JWK set with one EC P-256 key; never overwrites
 *   replay --merchant M [--to-seq N] [--diff A B] [--check]  rebuild a merchant from the journal
 * </pre>
 *
 * Exit codes: 0 success, 1 failure (reason on stderr or in the log), 2 usage error.
 */
public final class Main {

  private static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  static {
    // Scala's CompletionStage (what Pekko's asks and futures become in Java) runs every thenApply
    // on the JDK's default async pool. With 2 cores the common pool has a parallelism of 1, and
    // the JDK then starts a new thread per callback (CompletableFuture.ThreadPerTaskExecutor):
    // the profile of a 2-core node showed hundreds of threads started per minute. Two or more
    // make the common pool the async pool. Set first: Logback's start-up below already touches ForkJoinPool.
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
      System.setProperty(COMMON_POOL_PARALLELISM, String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
    }
  }

  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;

  static final String USAGE_TEXT =
      """
      Usage: java -jar lockstep.jar [command]
        serve                                          run a Lockstep node (default)
        token --merchant M --device D [--ttl T]        print a device token
        token --service NAME [--merchant M] [--ttl T]  print a service token (all merchants without --merchant)
        token --operator NAME [--ttl T]                print an operator token
        demo [--devices N] [--merchants M] [--seconds S] [--seed X]
                                                       embedded node + simulated devices; exit 0 if they converge
        keygen --out FILE                              write a new token signing key set (JWK set)
        replay --merchant M [--to-seq N]               the merchant rebuilt from the journal at seq N (JSON)
        replay --merchant M --diff A B                 what changed, record by record, between seqs A and B
        replay --merchant M [--to-seq N] --check       stored mutations today's merge rules decide differently; exit 1 if any
      T is a duration such as 30d, 12h or 15m; the default comes from lockstep.tokens.*-ttl.
      """;

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, LockstepConfig::load));
  }

  /** Runs one command; returns the process exit code. {@code serve} returns when the node stops. */
  static int run(String[] args, PrintStream out, PrintStream err, Supplier<Config> config) {
    String command = args.length == 0 ? "serve" : args[0];
    Map<String, String> options;
    try {
      options = options(args);
    } catch (IllegalArgumentException e) {
      return usage(err, e.getMessage());
    }
    return switch (command) {
      case "serve" -> options.isEmpty() ? serve(config) : usage(err, "serve takes no options");
      case "token" -> token(options, out, err, config);
      case "keygen" -> keygen(options, out, err);
      case "demo" -> io.lockstep.demo.DemoCommand.run(options, out, err);
      case "replay" -> ReplayCommand.run(options, out, err, config);
      case "help", "--help", "-h" -> {
        out.print(USAGE_TEXT);
        yield OK;
      }
      default -> usage(err, "unknown command: " + command);
    };
  }

  private static int serve(Supplier<Config> config) {
    LockstepNode node;
    try {
      node = LockstepNode.start(config.get());
    } catch (LockstepNode.StartupException | ConfigException e) {
      log.error("Lockstep failed to start: {}", e.getMessage());
      return FAILED;
    }
    try {
      node.system().getWhenTerminated().toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      log.error("Lockstep stopped abnormally", e.getCause());
      return FAILED;
    }
    log.info("Lockstep stopped");
    return OK;
  }

  private static int token(
      Map<String, String> options, PrintStream out, PrintStream err, Supplier<Config> config) {
    Principal principal;
    Optional<Duration> ttl;
    try {
      requireOnly(options, Set.of("merchant", "device", "service", "operator", "ttl"));
      principal = principal(options);
      ttl = Optional.ofNullable(options.get("ttl")).map(Main::duration);
    } catch (IllegalArgumentException e) {
      return usage(err, e.getMessage());
    }
    try {
      TokenService tokens = TokenService.create(LockstepSettings.from(config.get()).tokens());
      out.println(ttl.map(t -> tokens.mint(principal, t)).orElseGet(() -> tokens.mint(principal)));
      return OK;
    } catch (SigningKeyException | ConfigException | IllegalArgumentException e) {
      err.println("lockstep token: " + e.getMessage());
      return FAILED;
    }
  }

  private static Principal principal(Map<String, String> options) {
    String merchant = options.get("merchant");
    boolean device = options.containsKey("device");
    boolean service = options.containsKey("service");
    boolean operator = options.containsKey("operator");
    if ((device ? 1 : 0) + (service ? 1 : 0) + (operator ? 1 : 0) != 1) {
      throw new IllegalArgumentException("token needs exactly one of --device, --service, --operator");
    }
    if (device) {
      if (merchant == null) {
        throw new IllegalArgumentException("a device token needs --merchant");
      }
      return new DevicePrincipal(merchant, options.get("device"));
    }
    if (service) {
      return new ServicePrincipal(options.get("service"), Optional.ofNullable(merchant));
    }
    if (merchant != null) {
      throw new IllegalArgumentException("an operator token takes no --merchant");
    }
    return new OperatorPrincipal(options.get("operator"));
  }

  private static int keygen(Map<String, String> options, PrintStream out, PrintStream err) {
    try {
      requireOnly(options, Set.of("out"));
      if (!options.containsKey("out")) {
        throw new IllegalArgumentException("keygen needs --out FILE");
      }
    } catch (IllegalArgumentException e) {
      return usage(err, e.getMessage());
    }
    Path file = Path.of(options.get("out"));
    SigningKeys keys = SigningKeys.generate();
    try {
      keys.writeNew(file);
    } catch (FileAlreadyExistsException e) {
      err.println("lockstep keygen: refusing to overwrite " + file);
      return FAILED;
    } catch (IOException e) {
      err.println("lockstep keygen: cannot write " + file + ": " + e);
      return FAILED;
    }
    out.println("wrote " + file.toAbsolutePath() + " with key id " + keys.keyIds().get(0));
    return OK;
  }

  /** Options after the command: {@code --name value} or {@code --name=value}, each at most once. */
  /** Options without a value, and options with two. */
  private static final Set<String> FLAGS = Set.of("check");
  private static final Set<String> PAIRS = Set.of("diff");

  static Map<String, String> options(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int i = 1; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new IllegalArgumentException("unexpected argument: " + arg);
      }
      String name;
      String value;
      int equals = arg.indexOf('=');
      if (equals > 0) {
        name = arg.substring(2, equals);
        value = arg.substring(equals + 1);
      } else if (FLAGS.contains(arg.substring(2))) {
        name = arg.substring(2);
        value = "true";
      } else {
        if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
          throw new IllegalArgumentException("missing value for " + arg);
        }
        name = arg.substring(2);
        value = args[++i];
        if (PAIRS.contains(name)) {
          if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
            throw new IllegalArgumentException(arg + " takes two values");
          }
          value = value + " " + args[++i];
        }
      }
      if (value.isBlank()) {
        throw new IllegalArgumentException("empty value for --" + name);
      }
      if (options.put(name, value) != null) {
        throw new IllegalArgumentException("--" + name + " given twice");
      }
    }
    return options;
  }

  private static void requireOnly(Map<String, String> options, Set<String> allowed) {
    for (String name : options.keySet()) {
      if (!allowed.contains(name)) {
        throw new IllegalArgumentException("unknown option --" + name);
      }
    }
  }

  /** A duration in HOCON syntax: {@code 30d}, {@code 12h}, {@code 90 minutes}. */
  static Duration duration(String text) {
    try {
      Duration duration =
          ConfigFactory.parseString("ttl = " + ConfigUtil.quoteString(text)).getDuration("ttl");
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException("--ttl must be positive: " + text);
      }
      return duration;
    } catch (ConfigException e) {
      throw new IllegalArgumentException("--ttl is not a duration: " + text);
    }
  }

  private static int usage(PrintStream err, String problem) {
    err.println("lockstep: " + problem);
    err.print(USAGE_TEXT);
    return USAGE;
  }
}
