package io.lockstep;

import com.typesafe.config.Config;
import io.lockstep.http.BearerAuthentication;
import io.lockstep.api.ChangeFeed;
import io.lockstep.http.HttpErrors;
import io.lockstep.api.MerchantGateway;
import io.lockstep.api.ProductApi;
import io.lockstep.config.LockstepSettings;
import io.lockstep.device.DeviceEdge;
import io.lockstep.merchant.MerchantEntity;
import io.lockstep.ops.ClusterLoad;
import io.lockstep.ops.LoadReporter;
import io.lockstep.ops.LockstepMetrics;
import io.lockstep.ops.MerchantLoadTable;
import io.lockstep.ops.ObserverGroup;
import io.lockstep.ops.JournalReplay;
import io.lockstep.ops.LagTable;
import io.lockstep.ops.MerchantOverviewQuery;
import io.lockstep.ops.OperatorRoutes;
import io.lockstep.ops.RebalanceRoutes;
import io.lockstep.ops.ShardPlacementQuery;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import io.lockstep.config.RemoteSettings;
import io.lockstep.config.SeedNode;
import io.lockstep.persistence.SchemaMigration;
import io.lockstep.rebalance.LoadLedger;
import io.lockstep.rebalance.RebalanceControl;
import io.lockstep.security.DeviceRevocations;
import io.lockstep.security.ServerTls;
import io.lockstep.security.SigningKeyException;
import io.lockstep.security.TokenService;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Lockstep node: schema migrated, actor system {@value #SYSTEM_NAME} in its cluster,
 * management and the public HTTP server bound.
 *
 * <p>Start-up order matters: configuration and keys are checked and the database migrated before
 * the actor system exists, so a broken deployment fails fast with one clear reason.
 */
public final class LockstepNode implements AutoCloseable {

  /** Name of the actor system; identical on every node of a cluster. */
  public static final String SYSTEM_NAME = "lockstep";

  private static final Logger log = LoggerFactory.getLogger(LockstepNode.class);

  private final ActorSystem<Void> system;
  private final LockstepSettings settings;
  private final TokenService tokens;
  private final ServerBinding binding;
  private final ServerBinding managementBinding;
  private final DeviceEdge devices;

  private LockstepNode(
      ActorSystem<Void> system,
      LockstepSettings settings,
      TokenService tokens,
      ServerBinding binding,
      ServerBinding managementBinding,
      DeviceEdge devices) {
    this.system = system;
    this.settings = settings;
    this.tokens = tokens;
    this.binding = binding;
    this.managementBinding = managementBinding;
    this.devices = devices;
  }

  /**
   * Starts a node with a resolved configuration (see {@link io.lockstep.config.LockstepConfig}).
   * Blocks until the HTTP server is bound.
   *
   * @throws StartupException naming the reason when any step fails; nothing is left running
   */
  public static LockstepNode start(Config config) throws StartupException {
    LockstepSettings settings;
    try {
      settings = LockstepSettings.from(config);
    } catch (RuntimeException e) {
      throw new StartupException("invalid configuration: " + e.getMessage(), e);
    }
    TokenService tokens;
    Optional<SSLContext> tls;
    try {
      tokens = TokenService.create(settings.tokens(), settings.security().verifiedTokenCacheSize());
      tls = settings.security().tls().isPresent()
          ? Optional.of(ServerTls.context(settings.security().tls().get()))
          : Optional.empty();
    } catch (SigningKeyException e) {
      throw new StartupException(e.getMessage(), e);
    }
    try {
      int applied = SchemaMigration.migrate(settings.database());
      log.info("Database {} ready ({} migrations applied)", settings.database().kind(), applied);
    } catch (SchemaMigration.SchemaMigrationException e) {
      throw new StartupException(e.getMessage(), e);
    }

    ActorSystem<Void> system;
    try {
      system = ActorSystem.create(guardian(), SYSTEM_NAME, config);
    } catch (RuntimeException e) {
      throw new StartupException("actor system failed to start: " + e.getMessage(), e);
    }
    try {
      String node = Cluster.get(system).selfMember().address().toString();
      LockstepMetrics metrics = new LockstepMetrics();
      MerchantLoadTable load = new MerchantLoadTable(Clock.systemUTC(), node);
      LagTable lag = new LagTable(metrics, settings.operator().sloFanoutThreshold());
      LoadLedger ledger = new LoadLedger(
          ClusterShardingSettings.create(system).numberOfShards(), settings.rebalance().loadHalfLife(), System::nanoTime);
      metrics.nodeLoad(ledger);
      metrics.clusterUnreachable(() -> Cluster.get(system).state().getUnreachable().size());
      var timeout = settings.operator().queryTimeout();
      RebalanceControl rebalance = RebalanceControl.start(system, settings.rebalance(), ledger.numberOfShards(), ledger,
          node, timeout, metrics::rebalanceMoved);
      ActorRef<LoadReporter.Query> reporter =
          system.systemActorOf(LoadReporter.create(load, ledger, node), "merchant-load-reporter", Props.empty());
      BearerAuthentication auth = new BearerAuthentication(tokens);
      ServerBinding management = bindManagement(system, settings,
          operatorRoutes(system, settings, auth, metrics, rebalance, lag, node, reporter));
      joinCluster(system, settings.remote());
      MerchantEntity.init(system, settings.entity(), ObserverGroup.of(metrics, load, ledger),
          RebalanceControl.allocation(system, settings.rebalance(), timeout));
      DeviceRevocations revocations = revocations(system, settings);
      DeviceEdge devices = bindDevices(system, settings, tls, tokens, revocations, lag);
      ServerBinding binding = bindHttp(system, settings, tls, routes(system, settings, auth));
      log.info(
          "Lockstep node {} serving devices on {}, the product API on {}, management on {}",
          node,
          devices.localAddress(),
          binding.localAddress(),
          management.localAddress());
      return new LockstepNode(system, settings, tokens, binding, management, devices);
    } catch (StartupException | RuntimeException e) {
      system.terminate();
      awaitTermination(system, settings);
      throw e instanceof StartupException s ? s : new StartupException(e.getMessage(), e);
    }
  }

  private static Behavior<Void> guardian() {
    return Behaviors.setup(context -> Behaviors.empty());
  }

  /** The device revocation list, re-read every {@code revocation-reload} while the node runs. */
  private static DeviceRevocations revocations(ActorSystem<Void> system, LockstepSettings settings) {
    var security = settings.security();
    if (security.revocationFile().isEmpty()) return DeviceRevocations.none();
    DeviceRevocations revocations = DeviceRevocations.fromFile(security.revocationFile().get());
    system.scheduler().scheduleWithFixedDelay(security.revocationReload(), security.revocationReload(),
        revocations::reload, system.executionContext());
    return revocations;
  }

  /** The product API's routes; every error a problem response. */
  private static Route routes(ActorSystem<Void> system, LockstepSettings settings, BearerAuthentication auth) {
    MerchantGateway merchants = new MerchantGateway(system, settings.entity().askTimeout());
    ProductApi api =
        new ProductApi(system, auth, merchants, new ChangeFeed(system, merchants), settings.api(), settings.limits());
    return new HttpErrors().seal(api.route());
  }

  /**
   * The device WebSocket port. It stops accepting when the node starts to shut down, and its
   * connections close (each session ends, and the merchant's shards hand over) before the actor
   * system terminates.
   */
  private static DeviceEdge bindDevices(
      ActorSystem<Void> system, LockstepSettings settings, Optional<SSLContext> tls, TokenService tokens,
      DeviceRevocations revocations, LagTable lag) throws StartupException {
    var http = settings.http();
    CurrentEventsByPersistenceIdQuery journal =
        PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    int threads = http.deviceIoThreads() > 0 ? http.deviceIoThreads() : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    DeviceEdge edge = await(
        DeviceEdge.bind(system, http.host(), http.devicePort(), threads, http.deviceKeepAlive(), tls, tokens, journal,
            settings.device(), settings.entity(), settings.limits(), settings.security(), revocations, lag),
        settings,
        "the device port " + http.host() + ":" + http.devicePort());
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "unbind-device-port",
        () -> edge.unbind().thenApply(done -> Done.getInstance()));
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-device-connections",
        () -> edge.shutdown(http.shutdownDeadline()).thenApply(done -> Done.getInstance()));
    return edge;
  }

  /**
   * The management port: Pekko Management's routes (served here rather than by its own server so
   * that health and bootstrap stay open while everything else needs an operator token), metrics
   * and Lockstep's operator routes.
   */
  private static Route operatorRoutes(
      ActorSystem<Void> system, LockstepSettings settings, BearerAuthentication auth, LockstepMetrics metrics,
      RebalanceControl rebalance, LagTable lag, String node, ActorRef<LoadReporter.Query> reporter) {
    Route management = PekkoManagement.get(system).getRoutes();
    var timeout = settings.operator().queryTimeout();
    OperatorRoutes routes =
        new OperatorRoutes(
            management,
            auth,
            metrics,
            new ClusterLoad(system, timeout, reporter),
            new ShardPlacementQuery(system, timeout),
            new JournalReplay(system,
                PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier())),
            lag,
            node,
            new RebalanceRoutes(rebalance),
            new MerchantOverviewQuery(system, settings.entity().askTimeout(), lag),
            settings.operator());
    return new HttpErrors().seal(routes.route());
  }

  private static ServerBinding bindManagement(ActorSystem<Void> system, LockstepSettings settings, Route routes)
      throws StartupException {
    var management = settings.management();
    ServerBinding binding =
        await(
            Http.get(system).newServerAt(management.host(), management.port()).bind(routes),
            settings,
            "management HTTP on " + management.host() + ":" + management.port());
    binding.addToCoordinatedShutdown(settings.http().shutdownDeadline(), system);
    return binding;
  }

  private static void joinCluster(ActorSystem<Void> system, RemoteSettings remote) {
    Cluster cluster = Cluster.get(system);
    if (remote.formation() == RemoteSettings.Formation.KUBERNETES) {
      ClusterBootstrap.get(system).start();
      log.info("Forming the cluster with Cluster Bootstrap");
      return;
    }
    List<Address> seeds =
        remote.seedNodes().isEmpty()
            ? List.of(cluster.selfMember().address())
            : remote.seedNodes().stream()
                .map(node -> AddressFromURIString.parse(node.address(SYSTEM_NAME)))
                .toList();
    log.info("Joining cluster via seed nodes {}", seeds);
    cluster.manager().tell(new JoinSeedNodes(seeds));
  }

  private static ServerBinding bindHttp(
      ActorSystem<Void> system, LockstepSettings settings, Optional<SSLContext> tls, Route routes)
      throws StartupException {
    var http = settings.http();
    var server = Http.get(system).newServerAt(http.host(), http.port());
    if (tls.isPresent()) server = server.enableHttps(ConnectionContext.httpsServer(tls.get()));
    ServerBinding binding =
        await(
            server.bind(routes),
            settings,
            (tls.isPresent() ? "HTTPS on " : "HTTP on ") + http.host() + ":" + http.port());
    binding.addToCoordinatedShutdown(http.shutdownDeadline(), system);
    return binding;
  }

  private static <T> T await(CompletionStage<T> stage, LockstepSettings settings, String what)
      throws StartupException {
    try {
      return stage
          .toCompletableFuture()
          .get(settings.http().bindTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new StartupException("cannot bind " + what + ": " + cause.getMessage(), cause);
    } catch (TimeoutException e) {
      throw new StartupException("binding " + what + " timed out", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException("interrupted while binding " + what, e);
    }
  }

  private static void awaitTermination(ActorSystem<Void> system, LockstepSettings settings) {
    try {
      system.getWhenTerminated().toCompletableFuture().get(
          settings.http().shutdownDeadline().toMillis() * 3, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("Actor system did not terminate cleanly after failed start-up", e);
    }
  }

  /** The node's actor system. */
  public ActorSystem<Void> system() {
    return system;
  }

  /** The settings the node runs with. */
  public LockstepSettings settings() {
    return settings;
  }

  /** The token service verifying device, service and operator tokens. */
  public TokenService tokens() {
    return tokens;
  }

  /** Where the public HTTP server listens (the real port when configured with 0). */
  public InetSocketAddress httpAddress() {
    return binding.localAddress();
  }

  /** The bound port of the public HTTP server. */
  public int httpPort() {
    return binding.localAddress().getPort();
  }

  /** The bound port of the device WebSocket endpoint ({@code /v1/devices/ws}). */
  public int devicePort() {
    return devices.localAddress().getPort();
  }

  /** The bound port of the management server (health, metrics, operator routes). */
  public int managementPort() {
    return managementBinding.localAddress().getPort();
  }

  /** Leaves the cluster and stops the node through coordinated shutdown. */
  public CompletionStage<Done> stop() {
    // Terminating runs coordinated shutdown: unbind, leave the cluster, hand over shards.
    system.terminate();
    return system.getWhenTerminated();
  }

  /** Stops the node and waits until it has terminated. */
  @Override
  public void close() {
    stop().toCompletableFuture().join();
  }

  /** The node could not start; the message says why, in operator terms. */
  public static final class StartupException extends Exception {
    private static final long serialVersionUID = 1L;

    public StartupException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
