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

  ProcessCluster(int size, String baseUrl, Path dir) {
    this.dir = dir;
    this.baseUrl = baseUrl;
    this.user = env("LOCKSTEP_DB_USER", "lockstep");
    this.password = env("LOCKSTEP_DB_PASSWORD", "lockstep");
    this.schema = "t_cluster_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    this.schemaUrl = baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
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
      NodeProcess node = new NodeProcess(i, freePort(), freePort(), freePort(), freePort(), dir);
      nodes.add(node);
      seeds.add("127.0.0.1:" + node.remotePort());
    }
    environment.put("LOCKSTEP_DB_URL", schemaUrl);
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
            URI.create("http://127.0.0.1:" + node.managementPort() + path))
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

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
