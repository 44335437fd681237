package io.lockstep.testing;

import com.google.protobuf.Message;
import io.lockstep.LockstepNode;
import io.lockstep.api.v1.ChangeFeedPage;
import io.lockstep.merchant.MerchantEntity;
import io.lockstep.protocol.v1.Change;
import io.lockstep.security.ServicePrincipal;
import io.lockstep.testing.history.History;
import io.lockstep.testing.history.HistoryChecker;
import io.lockstep.testing.history.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** Reads a merchant's authoritative side into a {@link History}: its order and its final state. */
public final class ServerRecords {
  private static final int PAGE = 1000; // lockstep.api.changes-max-limit

  private ServerRecords() {}

  /** The change feed from seq 1 as the server's order; the entity's view as the server's state. */
  public static void record(LockstepNode node, String merchant, History history) {
    history.serverOrderFromChanges(changeFeed(node, merchant));
    MerchantEntity.View view = ClusterSharding.get(node.system())
        .entityRefFor(MerchantEntity.ENTITY_KEY, merchant)
        .<MerchantEntity.View>ask(MerchantEntity.GetView::new, Duration.ofSeconds(10))
        .toCompletableFuture().join();
    Map<String, Message> state = new HashMap<>();
    view.items().forEach(item -> state.put(History.key(item), item));
    view.orders().forEach(order -> state.put(History.key(order), order));
    history.serverState(state);
  }

  /** Records the server's side and the replicas of devices that ended at the head, then checks. */
  public static Verdict check(LockstepNode node, String merchant, History history, Map<String, Map<String, Message>> replicasAtTheHead) {
    replicasAtTheHead.forEach(history::finalReplica);
    record(node, merchant, history);
    return HistoryChecker.check(history);
  }

  /** Every change of {@code merchant} from seq 1, read page by page through the product API. */
  public static List<Change> changeFeed(LockstepNode node, String merchant) {
    return changeFeed(new HttpApi(node.httpPort()), node.tokens().mint(new ServicePrincipal("history", Optional.of(merchant))),
        merchant);
  }

  /** Every change of {@code merchant} from seq 1 through {@code http}, with a service {@code token}. */
  public static List<Change> changeFeed(HttpApi http, String token, String merchant) {
    List<Change> changes = new ArrayList<>();
    long after = 0;
    while (true) {
      String body = http.get("/v1/merchants/" + merchant + "/changes?after=" + after + "&limit=" + PAGE, token).body();
      ChangeFeedPage page = HttpApi.parse(body, ChangeFeedPage.newBuilder());
      changes.addAll(page.getChangesList());
      if (page.getChangesCount() == 0 || page.getNextAfter() >= page.getHeadSeq()) return changes;
      after = page.getNextAfter();
    }
  }
}
