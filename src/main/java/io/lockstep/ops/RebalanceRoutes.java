package io.lockstep.ops;

import io.lockstep.http.ApiProblem;
import io.lockstep.http.HttpErrors;
import io.lockstep.http.JsonBodies;
import io.lockstep.http.ProblemType;
import io.lockstep.ops.v1.PlannedMove;
import io.lockstep.ops.v1.RebalanceMove;
import io.lockstep.ops.v1.RebalanceNode;
import io.lockstep.ops.v1.RebalancePlan;
import io.lockstep.ops.v1.RebalanceStatus;
import io.lockstep.rebalance.Plan;
import io.lockstep.rebalance.RebalanceControl;
import io.lockstep.rebalance.Rebalancer;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The rebalancer's operator routes, inside {@code /lockstep} (operator token checked by {@link
 * OperatorRoutes}):
 *
 * <pre>
 *   GET    /lockstep/rebalance                  status: enabled, imbalance, nodes (with movesInFlight), inFlight, history
 *   GET    /lockstep/rebalance/plan             dry run of the next round
 *   POST   /lockstep/rebalance/suspend          rounds move nothing until resume
 *   POST   /lockstep/rebalance/resume
 *   POST   /lockstep/shards/{shard}/pin?node=   moves the shard to node and keeps it there
 *   DELETE /lockstep/shards/{shard}/pin         the planner may move it again
 * </pre>
 */
public final class RebalanceRoutes extends AllDirectives {
  private final RebalanceControl control;

  public RebalanceRoutes(RebalanceControl control) {
    this.control = control;
  }

  public Route route() {
    return concat(
        path("rebalance", () -> get(() -> respond(control.status().thenApply(RebalanceRoutes::toProto)))),
        path(PathMatchers.segment("rebalance").slash("plan"), () ->
            get(() -> respond(control.plan().thenApply(RebalanceRoutes::toProto)))),
        path(PathMatchers.segment("rebalance").slash("suspend"), () -> post(() -> answer(control.suspend()))),
        path(PathMatchers.segment("rebalance").slash("resume"), () -> post(() -> answer(control.resume()))),
        path(PathMatchers.segment("shards").slash(PathMatchers.segment()).slash("pin"), shard -> concat(
            post(() -> parameterOptional("node", node -> answer(control.pin(shard, required(node))))),
            delete(() -> answer(control.unpin(shard))))));
  }

  private static String required(Optional<String> node) {
    return node.filter(n -> !n.isBlank()).orElseThrow(() ->
        new ApiProblem(ProblemType.INVALID_REQUEST, "node is required: the address of an Up member (see /cluster/members)"));
  }

  private Route answer(CompletionStage<Rebalancer.Answer> answer) {
    return respond(answer.thenApply(a -> switch (a.outcome()) {
      case DONE -> toProto(a.status());
      case INVALID -> throw new ApiProblem(ProblemType.INVALID_REQUEST, a.detail());
      case NOT_FOUND -> throw new ApiProblem(ProblemType.NOT_FOUND, a.detail());
    }));
  }

  private Route respond(CompletionStage<? extends com.google.protobuf.Message> answer) {
    return completeWithFuture(answer.<HttpResponse>thenApply(JsonBodies::ok).exceptionally(HttpErrors::response));
  }

  static RebalanceStatus toProto(Rebalancer.Status status) {
    RebalanceStatus.Builder b = RebalanceStatus.newBuilder()
        .setEnabled(status.enabled())
        .setSuspended(status.suspended())
        .setImbalance(status.imbalance())
        .putAllPins(status.pins())
        .setLastRound(status.lastRound());
    status.nodes().forEach(n -> b.addNodes(RebalanceNode.newBuilder().setNode(n.node()).setLoad(n.load()).setShards(n.shards())
        .setMovesInFlight(n.movesInFlight())));
    status.inFlight().forEach(m -> b.addInFlight(toProto(m)));
    status.history().forEach(m -> b.addHistory(toProto(m)));
    return b.build();
  }

  private static RebalanceMove toProto(Rebalancer.MoveRecord move) {
    return RebalanceMove.newBuilder().setAt(move.at().toString()).setShard(move.shard()).setFrom(move.from())
        .setTo(move.to()).setReason(move.reason()).build();
  }

  static RebalancePlan toProto(Plan plan) {
    RebalancePlan.Builder b = RebalancePlan.newBuilder()
        .setImbalanceBefore(plan.imbalanceBefore())
        .setImbalanceAfter(plan.imbalanceAfter())
        .setHeld(plan.held().orElse(""))
        .setThrottled(plan.throttled().orElse(""));
    plan.moves().forEach(m -> b.addMoves(PlannedMove.newBuilder().setShard(m.shard()).setFrom(m.from()).setTo(m.to())
        .setLoad(m.load()).setReason(m.reason())));
    return b.build();
  }
}
