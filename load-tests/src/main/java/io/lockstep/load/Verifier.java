package io.lockstep.load;

import com.google.protobuf.util.JsonFormat;
import io.lockstep.api.v1.ItemList;
import io.lockstep.api.v1.OrderList;
import io.lockstep.protocol.v1.Item;
import io.lockstep.protocol.v1.Order;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The end-of-run checks, against the server's own resolved state (product API): {@code lost}
 * counts acknowledged mutations absent from it, {@code converged} that every device's replica
 * equals it.
 */
final class Verifier {
  record Result(long lost, boolean converged, int divergentDevices, long checkedDevices, String firstDifference,
      long droppedUnacknowledged, long droppedAndAbsentOrders) {}

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final String baseUrl;
  private final String serviceToken;

  Verifier(String baseUrl, String serviceToken) {
    this.baseUrl = baseUrl;
    this.serviceToken = serviceToken;
  }

  Result verify(List<Merchant> merchants) throws Exception {
    long lost = 0;
    int divergent = 0;
    long checked = 0;
    String first = null;
    long dropped = 0;
    long droppedAbsent = 0;
    for (Merchant merchant : merchants) {
      ItemList.Builder items = ItemList.newBuilder();
      JsonFormat.parser().ignoringUnknownFields().merge(get("/v1/merchants/" + merchant.id + "/items"), items);
      OrderList.Builder orders = OrderList.newBuilder();
      JsonFormat.parser().ignoringUnknownFields().merge(get("/v1/merchants/" + merchant.id + "/orders"), orders);
      Map<String, Item> serverItems = new HashMap<>();
      items.getItemsList().forEach(i -> serverItems.put(i.getItemId(), i));
      Map<String, Order> serverOrders = new HashMap<>();
      orders.getOrdersList().forEach(o -> serverOrders.put(o.getOrderId(), o));

      for (String order : merchant.expectedOrders) if (!serverOrders.containsKey(order)) lost++;
      // Mutations never acknowledged may or may not be stored: they widen the accepted range.
      Map<String, long[]> pending = new HashMap<>();
      List<io.lockstep.protocol.v1.Mutation> uncertain = new java.util.ArrayList<>(merchant.droppedUnacknowledged);
      dropped += uncertain.size();
      for (var m : uncertain) {
        if (m.hasOpenOrder() && !serverOrders.containsKey(m.getOpenOrder().getOrderId())) droppedAbsent++;
      }
      for (Device device : merchant.devices) uncertain.addAll(device.outbox.values());
      {
        for (var m : uncertain) {
          if (!m.hasAdjustStock()) continue;
          long[] range = pending.computeIfAbsent(m.getAdjustStock().getItemId(), k -> new long[2]);
          if (m.getAdjustStock().getDelta() > 0) range[1] += m.getAdjustStock().getDelta();
          else range[0] += m.getAdjustStock().getDelta();
        }
      }
      for (var e : merchant.expectedStock.entrySet()) {
        Item item = serverItems.get(e.getKey());
        long actual = item == null ? 0 : item.getStock();
        long[] range = pending.getOrDefault(e.getKey(), new long[2]);
        long expected = e.getValue().get();
        // Every stock mutation of the workload is +1 or -1: a lost acknowledged restock leaves the
        // stock below the lowest possible value, a lost acknowledged sale above the highest.
        lost += Math.max(0, expected + range[0] - actual) + Math.max(0, actual - (expected + range[1]));
      }
      for (Device device : merchant.devices) {
        checked++;
        if (!device.items.equals(serverItems) || !device.orders.equals(serverOrders)) {
          divergent++;
          if (first == null) {
            first = device.deviceId + ": items " + device.items.size() + "/" + serverItems.size()
                + ", orders " + device.orders.size() + "/" + serverOrders.size()
                + ", applied seq " + device.appliedSeq + " vs head " + items.getHeadSeq();
          }
        }
      }
    }
    return new Result(lost, divergent == 0, divergent, checked, first, dropped, droppedAbsent);
  }

  /** Highest seq of a merchant, read through the entity. */
  long headSeq(String merchantId) throws Exception {
    ItemList.Builder items = ItemList.newBuilder();
    JsonFormat.parser().ignoringUnknownFields().merge(get("/v1/merchants/" + merchantId + "/items"), items);
    return items.getHeadSeq();
  }

  private String get(String path) throws Exception {
    Exception last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + path))
            .header("Authorization", "Bearer " + serviceToken).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) return response.body();
        last = new IllegalStateException(path + " answered " + response.statusCode() + ": " + response.body());
      } catch (java.io.IOException e) {
        last = e;
      }
      Thread.sleep(1000);
    }
    throw last;
  }

  /** Selected Prometheus samples of a node's /metrics (management port), summed over labels. */
  static Map<String, Double> metrics(String host, int managementPort, String... names) {
    Map<String, Double> values = new HashMap<>();
    try {
      String body = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://" + host + ":" + managementPort + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      for (String line : body.split("\n")) {
        if (line.startsWith("#")) continue;
        for (String name : names) {
          if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
            double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            values.merge(name, v, Double::sum);
          }
        }
      }
    } catch (Exception e) {
      // metrics are extra information
    }
    return values;
  }
}
