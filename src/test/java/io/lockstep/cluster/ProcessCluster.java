package io.lockstep.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.typesafe.config.ConfigFactory;
import io.lockstep.config.LockstepConfig;
import io.lockstep.config.LockstepSettings;
import io.lockstep.ops.v1.MerchantLoad;
import io.lockstep.ops.v1.RebalanceStatus;
import io.lockstep.ops.v1.ShardPlacement;
import io.lockstep.persistence.SchemaMigration;
import io.lockstep.security.OperatorPrincipal;
import io.lockstep.security.Principal;
import io.lockstep.security.SigningKeys;
import io.lockstep.security.TokenService;
import io.lockstep.storage.v1.MutationRecorded;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cluster of {@link NodeProcess}es on loopback sharing one PostgreSQL schema (created here,
 * migrated once, dropped on {@link #close()}) and one token signing key. Every node lists every
 * node as a seed, like {@code scripts/local-cluster}.
 *
 * <p>Observations go through the nodes' public interfaces only: management HTTP with an operator
 * token ({@code /ready}, {@code /cluster/members}, {@code /lockstep/...}) and the journal tables.
 */
final class ProcessCluster implements AutoCloseable {

  /** The PostgreSQL URL the suite needs; absent means the suite is skipped (loudly). */
  static Optional<String> postgresUrl() {
    String url = System.getenv("LOCKSTEP_DB_URL");
    return url != null && url.startsWith("jdbc:postgresql:") ? Optional.of(url) : Optional.empty();
  }

  private static final Pattern UP_MEMBER =
      Pattern.compile("\"node\"\\s*:\\s*\"([^\"]+)\"[^}]*?\"status\"\\s*:\\s*\"Up\"");
  private static final Pattern UNREACHABLE_BLOCK = Pattern.compile("\"unreachable\"\\s*:\\s*\\[([^\\]]*)\\]");

  private final Path dir;
  private final String baseUrl;
  private final String user;
  private final String password;
  private final String schema;
  private final String schemaUrl;
  private final TokenService tokens;
  private final String operatorToken;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final Map<String, String> environment = new HashMap<>();
  private final Map<String, String> properties = new HashMap<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** Where each node runs: its address and the command prefix that starts it there. */
  interface Placement {
    /** Every node on loopback, started directly. */
    Placement LOOPBACK = new Placement() {
      @Override
      public String host(int node) {
        return "127.0.0.1";
      }

      @Override
      public List<String> launcher(int node) {
        return List.of();
      }
    };

    String host(int node);

    List<String> launcher(int node);
  }

  ProcessCluster(int size, String baseUrl, Path dir) {
    this(size, baseUrl, dir, Placement.LOOPBACK, baseUrl);
  }

  /**
   * Nodes placed by {@code placement}, reaching the database at {@code nodeBaseUrl} (the test
   * itself uses {@code baseUrl}; they differ when the nodes sit in network namespaces).
   */
  ProcessCluster(int size, String baseUrl, Path dir, Placement placement, String nodeBaseUrl) {
    this.dir = dir;
    this.baseUrl = baseUrl;
    this.user = env("LOCKSTEP_DB_USER", "lockstep");
    this.password = env("LOCKSTEP_DB_PASSWORD", "lockstep");
    this.schema = "t_cluster_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    this.schemaUrl = withSchema(baseUrl);
    Path keyFile = dir.resolve("signing-key.jwks");
    try {
      SigningKeys.generate().writeNew(keyFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    execute("CREATE SCHEMA " + schema);
    Map<String, Object> overrides = new HashMap<>();
    overrides.put("lockstep.database.url", schemaUrl);
    overrides.put("lockstep.database.user", user);
    overrides.put("lockstep.database.password", password);
    overrides.put("lockstep.tokens.key-file", keyFile.toString());
    overrides.put("lockstep.data-dir", dir.toString());
    LockstepSettings settings =
        LockstepSettings.from(LockstepConfig.load(Map.of(), ConfigFactory.parseMap(overrides)));
    try {
      // Once here, so that the nodes' own migrations find nothing to do.
      SchemaMigration.migrate(settings.database());
    } catch (SchemaMigration.SchemaMigrationException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    try {
      this.tokens = TokenService.create(settings.tokens());
    } catch (io.lockstep.security.SigningKeyException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    this.operatorToken = tokens.mint(new OperatorPrincipal("cluster-test"));

    List<String> seeds = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      NodeProcess node = new NodeProcess(i, placement.host(i), placement.launcher(i),
          freePort(), freePort(), freePort(), freePort(), dir);
      nodes.add(node);
      seeds.add(node.host() + ":" + node.remotePort());
    }
    environment.put("LOCKSTEP_DB_URL", withSchema(nodeBaseUrl));
    environment.put("LOCKSTEP_DB_USER", user);
    environment.put("LOCKSTEP_DB_PASSWORD", password);
    environment.put("LOCKSTEP_DB_MAX_CONNECTIONS", "4");
    environment.put("LOCKSTEP_TOKEN_KEY_FILE", keyFile.toString());
    environment.put("LOCKSTEP_SEED_NODES", String.join(",", seeds));
    environment.put("LOCKSTEP_LOG_LEVEL", "INFO");
    environment.put("LOCKSTEP_CLUSTER_FORMATION", "seed-nodes");
  }

  List<NodeProcess> nodes() {
    return nodes;
  }

  NodeProcess node(int index) {
    return nodes.get(index);
  }

  void startAll() {
    nodes.forEach(this::start);
  }

  void start(NodeProcess node) {
    node.start(environment, properties);
  }

  /** A configuration setting every node started from now on gets as a JVM system property. */
  void set(String path, String value) {
    properties.put(path, value);
  }

  /** A token signed with the cluster's key. */
  String mint(Principal principal) {
    return tokens.mint(principal);
  }

  /** Whether the node answers its readiness probe with 200. */
  boolean ready(NodeProcess node) {
    return get(node, "/ready", false).map(r -> r.statusCode() == 200).orElse(false);
  }

  /** Addresses of the members the node sees as Up and reachable; empty if it does not answer. */
  List<String> upMembers(NodeProcess node) {
    Optional<HttpResponse<String>> response = get(node, "/cluster/members", true);
    if (response.isEmpty() || response.get().statusCode() != 200) {
      return List.of();
    }
    String body = response.get().body();
    Matcher unreachable = UNREACHABLE_BLOCK.matcher(body);
    String unreachableText = unreachable.find() ? unreachable.group(1) : "";
    List<String> up = new ArrayList<>();
    Matcher member = UP_MEMBER.matcher(body);
    while (member.find()) {
      if (!unreachableText.contains(member.group(1))) {
        up.add(member.group(1));
      }
    }
    return up;
  }

  /** Whether {@code observer} sees exactly {@code expected} as Up and reachable members. */
  boolean seesExactly(NodeProcess observer, List<NodeProcess> expected) {
    List<String> up = upMembers(observer);
    return up.size() == expected.size()
        && expected.stream().allMatch(n -> up.contains(n.address()));
  }

  /** Waits until every one of {@code observers} is ready and sees exactly {@code expected} Up. */
  void awaitMembers(List<NodeProcess> observers, List<NodeProcess> expected, Duration within) {
    try {
      org.awaitility.Awaitility.await("cluster of " + expected.size()).atMost(within).pollInterval(Duration.ofMillis(500))
          .until(() -> observers.stream().allMatch(n -> ready(n) && seesExactly(n, expected)));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + logTails(), e);
    }
  }

  /** The node hosting the merchant's entity, as reported by {@code observer}; empty if none. */
  Optional<NodeProcess> owner(NodeProcess observer, String merchantId) {
    Optional<HttpResponse<String>> response =
        get(observer, "/lockstep/merchants/" + merchantId + "/load", true);
    if (response.isEmpty() || response.get().statusCode() != 200) {
      return Optional.empty();
    }
    MerchantLoad.Builder load = MerchantLoad.newBuilder();
    parse(response, load);
    return nodes.stream().filter(n -> n.address().equals(load.getNode())).findFirst();
  }

  /**
   * A merchant whose entity the cluster placed on {@code node}: wakes candidates named {@code
   * prefix}0, 1, … through another node until one lands there.
   */
  String merchantOwnedBy(NodeProcess node, String prefix) {
    Map<String, Integer> tried = new HashMap<>();
    for (int i = 0; i < 60; i++) {
      String merchant = prefix + i;
      touch(nodes.stream().filter(n -> n != node && n.isAlive()).findFirst().orElseThrow(), merchant);
      Optional<NodeProcess> owner = Optional.empty();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (owner.isEmpty() && System.nanoTime() < deadline) {
        owner = owner(nodes.get(0).isAlive() ? nodes.get(0) : node, merchant);
        if (owner.isEmpty()) {
          sleep(Duration.ofMillis(100));
        }
      }
      if (owner.filter(o -> o == node).isPresent()) {
        return merchant;
      }
      tried.put(merchant, owner.map(NodeProcess::index).orElse(-1));
    }
    throw new AssertionError("no merchant landed on " + node + ": " + tried + logTails());
  }

  /** Starts the merchant's entity with a product-API read through {@code node}, retried for up to 90 s. */
  void touch(NodeProcess node, String merchant) {
    String token = mint(new io.lockstep.security.ServicePrincipal("cluster-test", Optional.empty()));
    HttpRequest request = HttpRequest.newBuilder(
            URI.create("http://" + node.host() + ":" + node.httpPort() + "/v1/merchants/" + merchant + "/items"))
        .header("Authorization", "Bearer " + token)
        .timeout(Duration.ofSeconds(15))
        .GET()
        .build();
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (true) {
      try {
        if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) return;
      } catch (IOException e) {
        // not serving yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      if (System.nanoTime() > deadline) throw new AssertionError("the product API of " + node + " never answered for " + merchant);
      sleep(Duration.ofMillis(250));
    }
  }

  /** The raw shard placement (operator route), for diagnostics and shard counts. */
  String shardPlacement(NodeProcess observer) {
    return get(observer, "/lockstep/shards", true).map(HttpResponse::body).orElse("");
  }

  /** Shard id to the address of the node hosting it, as {@code observer} reports the placement. */
  Map<String, String> shardOwners(NodeProcess observer) {
    ShardPlacement.Builder placement = ShardPlacement.newBuilder();
    parse(get(observer, "/lockstep/shards", true), placement);
    Map<String, String> owners = new HashMap<>();
    placement.getNodesList().forEach(n -> n.getShardsList().forEach(s -> owners.put(s.getShardId(), n.getNode())));
    return owners;
  }

  /** The rebalancer's state ({@code GET /lockstep/rebalance}) through {@code observer}; empty if it does not answer. */
  Optional<RebalanceStatus> rebalance(NodeProcess observer) {
    Optional<HttpResponse<String>> response = get(observer, "/lockstep/rebalance", true);
    if (response.isEmpty() || response.get().statusCode() != 200) {
      return Optional.empty();
    }
    RebalanceStatus.Builder status = RebalanceStatus.newBuilder();
    parse(response, status);
    return Optional.of(status.build());
  }

  private static void parse(Optional<HttpResponse<String>> response, com.google.protobuf.Message.Builder into) {
    String body = response.map(HttpResponse::body).orElse("");
    try {
      JsonFormat.parser().ignoringUnknownFields().merge(body, into);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("unexpected operator answer: " + body, e);
    }
  }

  /** Every journal event of a merchant, in seq order. */
  List<MutationRecorded> journal(String merchantId) {
    List<MutationRecorded> events = new ArrayList<>();
    try (Connection connection = DriverManager.getConnection(schemaUrl, user, password);
        PreparedStatement query = connection.prepareStatement(
            "SELECT event_payload FROM event_journal WHERE persistence_id = ? ORDER BY sequence_number")) {
      query.setString(1, "Merchant|" + merchantId);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          events.add(MutationRecorded.parseFrom(rows.getBytes(1)));
        }
      }
    } catch (SQLException | InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot read the journal of " + merchantId, e);
    }
    return events;
  }

  /** One journal row of a merchant: its seq, the writer (one per entity incarnation) and when. */
  record Write(long seq, String writer, long writtenAtMillis) {}

  /** Who wrote each event of a merchant, in seq order. */
  List<Write> writes(String merchantId) {
    List<Write> writes = new ArrayList<>();
    try (Connection connection = DriverManager.getConnection(schemaUrl, user, password);
        PreparedStatement query = connection.prepareStatement("SELECT sequence_number, writer, write_timestamp"
            + " FROM event_journal WHERE persistence_id = ? ORDER BY sequence_number")) {
      query.setString(1, "Merchant|" + merchantId);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          writes.add(new Write(rows.getLong(1), rows.getString(2), rows.getLong(3)));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the journal of " + merchantId, e);
    }
    return writes;
  }

  /** Last lines of every node's log, for a failure message. */
  String logTails() {
    StringBuilder out = new StringBuilder();
    for (NodeProcess node : nodes) {
      out.append("\n==== ").append(node).append(" log: ").append(node.log()).append('\n');
      try {
        List<String> lines = Files.readAllLines(node.log());
        lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> out.append(l).append('\n'));
      } catch (IOException e) {
        out.append("(unreadable: ").append(e).append(")\n");
      }
    }
    return out.toString();
  }

  /** Kills every node still running and drops the schema. Logs stay in the harness directory. */
  @Override
  public void close() throws InterruptedException {
    for (NodeProcess node : nodes) {
      if (node.isAlive()) {
        node.kill();
      }
    }
    execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }

  private Optional<HttpResponse<String>> get(NodeProcess node, String path, boolean operator) {
    HttpRequest.Builder request = HttpRequest.newBuilder(
            URI.create("http://" + node.host() + ":" + node.managementPort() + path))
        .timeout(Duration.ofSeconds(5))
        .GET();
    if (operator) {
      request.header("Authorization", "Bearer " + operatorToken);
    }
    try {
      return Optional.of(http.send(request.build(), HttpResponse.BodyHandlers.ofString()));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private void execute(String sql) {
    try (Connection connection = DriverManager.getConnection(baseUrl, user, password);
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot run '" + sql + "' on " + baseUrl + ": " + e.getMessage(), e);
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private String withSchema(String url) {
    return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
  }

  /** Ports handed out by this JVM: never twice. */
  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * A port free now, below Linux's ephemeral range (32768-60999). A port from {@code
   * ServerSocket(0)} comes from that range, and between its pick and the node's bind an outgoing
   * connection of the run could take it (a node once failed to start so: "Address already in
   * use"); below the range only another explicit bind can.
   */
  private static int freePort() {
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; attempt < 1000; attempt++) {
      int port = 20_000 + random.nextInt(12_000);
      if (!HANDED_OUT.add(port)) continue;
      try (ServerSocket socket = new ServerSocket(port, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
        return port;
      } catch (IOException inUse) {
        // taken: try another
      }
    }
    throw new UncheckedIOException(new IOException("no free port in 20000-31999 after 1000 tries"));
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
