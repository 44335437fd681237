package io.lockstep.ops;

import io.lockstep.ops.LoadReporter.LoadReport;
import io.lockstep.ops.v1.MerchantLoad;
import io.lockstep.ops.v1.MerchantLoadList;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * Cluster-wide merchant load: asks the {@link LoadReporter} of every node and merges the answers.
 * A node that does not answer within the timeout is listed as unreachable; the rest is returned.
 * During a hand-off a merchant can be reported by two nodes: the one written to last wins.
 */
public final class ClusterLoad {
  private final ActorSystem<?> system;
  private final Duration timeout;
  private final ActorRef<LoadReporter.Query> local;

  /**
   * @param local this node's reporter: asked even before the receptionist lists it (its listing
   *     follows a registration by up to a gossip interval, and a just-started node must not report
   *     its own merchants as running nowhere)
   */
  public ClusterLoad(ActorSystem<?> system, Duration timeout, ActorRef<LoadReporter.Query> local) {
    this.local = local;
    this.system = system;
    this.timeout = timeout;
  }

  /** The {@code top} hottest merchants of the cluster, busiest first. */
  public CompletionStage<MerchantLoadList> hottest(int top) {
    return gather(replyTo -> new LoadReporter.GetHotMerchants(top, replyTo), top);
  }

  /** The load of one merchant (an empty list when its entity runs nowhere). */
  public CompletionStage<MerchantLoadList> merchant(String merchantId) {
    return gather(replyTo -> new LoadReporter.GetMerchantLoad(merchantId, replyTo), 1);
  }

  private CompletionStage<MerchantLoadList> gather(
      Function<ActorRef<LoadReport>, LoadReporter.Query> query, int top) {
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
            system.receptionist(), replyTo -> Receptionist.find(LoadReporter.KEY, replyTo), timeout, system.scheduler())
        .thenCompose(listing -> {
          List<CompletableFuture<Answer>> answers = new ArrayList<>();
          java.util.Set<ActorRef<LoadReporter.Query>> reporters = new java.util.LinkedHashSet<>();
          reporters.add(local);
          reporters.addAll(listing.getServiceInstances(LoadReporter.KEY));
          for (ActorRef<LoadReporter.Query> reporter : reporters) {
            String node = reporter.path().address().toString();
            answers.add(AskPattern.<LoadReporter.Query, LoadReport>ask(reporter, query::apply, timeout, system.scheduler())
                .handle((report, failure) -> new Answer(node, report))
                .toCompletableFuture());
          }
          return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
              .thenApply(done -> merge(answers.stream().map(CompletableFuture::join).toList(), top));
        });
  }

  private record Answer(String node, LoadReport report) {}

  private static MerchantLoadList merge(List<Answer> answers, int top) {
    Map<String, MerchantLoad> byMerchant = new HashMap<>();
    MerchantLoadList.Builder result = MerchantLoadList.newBuilder();
    for (Answer answer : answers) {
      if (answer.report() == null) {
        result.addUnreachableNodes(answer.node());
        continue;
      }
      for (MerchantLoad load : answer.report().merchants()) {
        byMerchant.merge(load.getMerchantId(), load,
            (a, b) -> a.getLastWriteMillis() >= b.getLastWriteMillis() ? a : b);
      }
    }
    byMerchant.values().stream().sorted(MerchantLoadTable.HOTTEST_FIRST).limit(top).forEach(result::addMerchants);
    return result.build();
  }
}
