package io.lockstep.cluster;

import com.google.protobuf.Message;
import io.lockstep.api.v1.ItemList;
import io.lockstep.api.v1.OrderList;
import io.lockstep.security.ServicePrincipal;
import io.lockstep.testing.HttpApi;
import io.lockstep.testing.ServerRecords;
import io.lockstep.testing.history.History;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a merchant's authoritative side into a {@link History} through one node's product API
 * (the change feed from seq 1 as the order, items and orders as the state): {@link ServerRecords}
 * for a node in another process.
 */
final class ClusterRecords {
  private ClusterRecords() {}

  static void record(ProcessCluster cluster, NodeProcess observer, String merchant, History history) {
    HttpApi http = new HttpApi(observer.host(), observer.httpPort());
    String token = cluster.mint(new ServicePrincipal("history", Optional.of(merchant)));
    history.serverOrderFromChanges(ServerRecords.changeFeed(http, token, merchant));
    Map<String, Message> state = new HashMap<>();
    HttpApi.<ItemList>parse(http.get("/v1/merchants/" + merchant + "/items", token).body(), ItemList.newBuilder())
        .getItemsList().forEach(item -> state.put(History.key(item), item));
    HttpApi.<OrderList>parse(http.get("/v1/merchants/" + merchant + "/orders", token).body(), OrderList.newBuilder())
        .getOrdersList().forEach(order -> state.put(History.key(order), order));
    history.serverState(state);
  }

  /** The merchant's head seq as the observer's change feed reports it. */
  static long headSeq(ProcessCluster cluster, NodeProcess observer, String merchant) {
    HttpApi http = new HttpApi(observer.host(), observer.httpPort());
    String token = cluster.mint(new ServicePrincipal("history", Optional.of(merchant)));
    return HttpApi.<ItemList>parse(http.get("/v1/merchants/" + merchant + "/items", token).body(), ItemList.newBuilder())
        .getHeadSeq();
  }
}
