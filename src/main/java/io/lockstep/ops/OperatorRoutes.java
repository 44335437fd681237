package io.lockstep.ops;

import io.lockstep.http.ApiProblem;
import io.lockstep.http.BearerAuthentication;
import io.lockstep.http.HttpErrors;
import io.lockstep.http.JsonBodies;
import io.lockstep.ops.v1.DeviceLag;
import io.lockstep.ops.v1.DeviceLagList;
import io.lockstep.http.ProblemType;
import io.lockstep.config.OperatorSettings;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Everything served on the management port:
 *
 * <pre>
 *   path                                  access     what
 *   /ready, /alive, /startup              open       Pekko Management health checks (Kubernetes probes)
 *   /bootstrap/...                        open       Cluster Bootstrap contact point (peers, no credentials)
 *   /metrics                              open       Prometheus text format (scrape port, no merchant data)
 *   /console                              open       the operator console (static page; its calls need the token)
 *   /lockstep/merchants/{id}/overview     operator   the merchant now: items, orders, conflicts, devices
 *   /lockstep/merchants/{id}/load         operator   load of one merchant
 *   /lockstep/merchants/{id}/history?at=N operator   the merchant rebuilt from its journal at seq N
 *                                                    (default: its head), as `replay` prints it
 *   /lockstep/hot-merchants?top=N         operator   busiest merchants of the cluster
 *   /lockstep/lag?top=N                   operator   devices on this node with the highest p99 delivery lag
 *   /lockstep/shards                      operator   shard placement per node with entity counts
 *   /lockstep/rebalance..., /shards/{s}/pin operator   load rebalancer (see {@link RebalanceRoutes})
 *   /cluster/...                          operator   Pekko Management cluster HTTP (writes only when
 *                                                    pekko.management.http.route-providers-read-only = false)
 * </pre>
 *
 * Operator access is a bearer operator token; anything else gets 401 or 403.
 */
public final class OperatorRoutes extends AllDirectives {
  private final Route management;
  private final BearerAuthentication auth;
  private final LockstepMetrics metrics;
  private final ClusterLoad load;
  private final ShardPlacementQuery shards;
  private final JournalReplay history;
  private final LagTable lag;
  private final String node;
  private final RebalanceRoutes rebalance;
  private final MerchantOverviewQuery overview;
  private final OperatorSettings settings;

  /**
   * @param management Pekko Management's routes (health, cluster HTTP, bootstrap), unauthenticated
   */
  public OperatorRoutes(
      Route management,
      BearerAuthentication auth,
      LockstepMetrics metrics,
      ClusterLoad load,
      ShardPlacementQuery shards,
      JournalReplay history,
      LagTable lag,
      String node,
      RebalanceRoutes rebalance,
      MerchantOverviewQuery overview,
      OperatorSettings settings) {
    this.management = management;
    this.auth = auth;
    this.metrics = metrics;
    this.load = load;
    this.shards = shards;
    this.history = history;
    this.lag = lag;
    this.node = node;
    this.rebalance = rebalance;
    this.overview = overview;
    this.settings = settings;
  }

  public Route route() {
    return concat(
        // Tested, not consumed: Pekko Management matches the whole path itself.
        pathPrefixTest("ready", () -> management),
        pathPrefixTest("alive", () -> management),
        pathPrefixTest("startup", () -> management),
        pathPrefixTest("bootstrap", () -> management),
        // The operator console: static files from the jar, open (the page asks for the operator
        // token and sends it with every call to the routes below).
        pathPrefix("console", () -> get(() -> concat(
            pathEndOrSingleSlash(() -> getFromResource("console/index.html", ContentTypes.TEXT_HTML_UTF8)),
            getFromResourceDirectory("console")))),
        path("metrics", () -> get(() -> complete(
            HttpResponse.create().withEntity(ContentTypes.TEXT_PLAIN_UTF8, metrics.scrape())))),
        extractRequest(request -> {
          try {
            auth.operator(request);
          } catch (ApiProblem problem) {
            return complete(HttpErrors.response(problem));
          }
          return concat(lockstep(), management);
        }));
  }

  private Route lockstep() {
    return pathPrefix("lockstep", () -> concat(
        path(PathMatchers.segment("merchants").slash(PathMatchers.segment()).slash("load"), merchantId ->
            get(() -> respond(load.merchant(merchantId).thenApply(list -> {
              if (list.getMerchantsCount() == 0) {
                throw new ApiProblem(ProblemType.NOT_FOUND, "merchant " + merchantId
                    + " is not running on any node (idle merchants are passivated)"
                    + (list.getUnreachableNodesCount() > 0 ? "; unreachable nodes: " + list.getUnreachableNodesList() : ""));
              }
              return list.getMerchants(0);
            })))),
        path(PathMatchers.segment("merchants").slash(PathMatchers.segment()).slash("overview"), merchantId ->
            get(() -> respond(overview.overview(merchantId)))),
        path(PathMatchers.segment("merchants").slash(PathMatchers.segment()).slash("history"), merchantId ->
            get(() -> parameterOptional("at", at ->
                respond(history.replay(merchantId, 0, seq(at)).thenApply(replay -> {
                  if (replay.headSeq() == 0) {
                    throw new ApiProblem(ProblemType.NOT_FOUND, "merchant " + merchantId + " has stored nothing");
                  }
                  return replay.history();
                }))))),
        path("hot-merchants", () -> get(() -> parameterOptional("top", top ->
            respond(load.hottest(top(top)))))),
        path("lag", () -> get(() -> parameterOptional("top", top -> {
          DeviceLagList.Builder list = DeviceLagList.newBuilder().setNode(node);
          for (LagTable.Lag l : lag.top(top(top))) {
            list.addDevices(DeviceLag.newBuilder().setMerchantId(l.merchantId()).setDeviceId(l.deviceId())
                .setWrittenCount(l.writtenCount()).setWrittenP99Millis(l.writtenP99Millis())
                .setAppliedCount(l.appliedCount()).setAppliedP99Millis(l.appliedP99Millis()));
          }
          return respond(java.util.concurrent.CompletableFuture.completedFuture(list.build()));
        }))),
        path("shards", () -> get(() -> respond(shards.placement()))),
        rebalance.route()));
  }

  private int top(Optional<String> raw) {
    if (raw.isEmpty()) {
      return settings.hotMerchantsDefault();
    }
    try {
      int top = Integer.parseInt(raw.get());
      if (top >= 1 && top <= settings.hotMerchantsMax()) {
        return top;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ApiProblem(ProblemType.INVALID_REQUEST, "top must be an integer in 1.." + settings.hotMerchantsMax());
  }

  private static long seq(Optional<String> raw) {
    if (raw.isEmpty()) return Long.MAX_VALUE;
    try {
      long seq = Long.parseLong(raw.get());
      if (seq >= 0) return seq;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ApiProblem(ProblemType.INVALID_REQUEST, "at must be a seq (an integer >= 0)");
  }

  private Route respond(CompletionStage<? extends com.google.protobuf.Message> answer) {
    return completeWithFuture(answer.<HttpResponse>thenApply(JsonBodies::ok).exceptionally(HttpErrors::response));
  }
}
