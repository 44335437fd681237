package io.lockstep.demo;

import io.lockstep.client.ConnectionState;
import io.lockstep.client.LockstepClient;
import io.lockstep.domain.Item;
import io.lockstep.domain.OrderState;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * One point-of-sale device of the demo: sells, restocks, counts stock, edits prices and now and
 * then loses its connection, working on in its outbox until a new client on the same store file
 * comes back online. Driven by one thread; the counters are read by the reporter.
 */
final class SimulatedDevice {

  private final String deviceId;
  private final String merchantId;
  private final boolean seedsCatalog;
  private final Random random;
  private final Supplier<LockstepClient> clients;
  private final AtomicLong submitted = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private volatile LockstepClient client;
  private volatile boolean online;
  private long offlineUntilNanos;
  private int orders;

  SimulatedDevice(String deviceId, String merchantId, boolean seedsCatalog, long seed,
      Supplier<LockstepClient> clients) {
    this.deviceId = deviceId;
    this.merchantId = merchantId;
    this.seedsCatalog = seedsCatalog;
    this.random = new Random(seed);
    this.clients = clients;
    this.client = clients.get();
  }

  String deviceId() {
    return deviceId;
  }

  String merchantId() {
    return merchantId;
  }

  LockstepClient client() {
    return client;
  }

  boolean connected() {
    return client.connectionState() == ConnectionState.CONNECTED;
  }

  /** Mutations the client took; acknowledged = submitted minus the client's outbox. */
  long submitted() {
    return submitted.get();
  }

  long acknowledged() {
    long taken = submitted.get(); // read first: a racing submit can only under-count
    return Math.max(0, taken - client.view().unacknowledged());
  }

  long refused() {
    return refused.get();
  }

  void goOnline() {
    if (!online) {
      client.start();
      online = true;
    }
  }

  /** The app closes its client; a new one opens the same store and keeps selling offline. */
  private void goOffline() {
    client.close();
    client = clients.get();
    online = false;
    offlineUntilNanos = System.nanoTime() + (1000 + random.nextInt(2000)) * 1_000_000L;
  }

  /** One thing a shop does; called repeatedly by the device's driver thread. */
  void step() {
    if (online && random.nextInt(100) < 3) {
      goOffline();
    } else if (!online && System.nanoTime() > offlineUntilNanos) {
      goOnline();
    }
    List<Item> catalog = client.items().values().stream().filter(i -> !i.deleted()).toList();
    if (catalog.isEmpty()) {
      if (seedsCatalog) {
        seed();
      }
      return;
    }
    int dice = random.nextInt(100);
    if (dice < 60) {
      sell(catalog);
    } else if (dice < 75) {
      submit(() -> client.adjustStock(pick(catalog).itemId(), 10 + random.nextInt(40)));
    } else if (dice < 80) {
      submit(() -> client.setStock(pick(catalog).itemId(), 50 + random.nextInt(100)));
    } else if (dice < 95) {
      submit(() -> client.upsertItem(pick(catalog).itemId(), null, null,
          100L + random.nextInt(900)));
    }
  }

  private void seed() {
    for (int i = 0; i < 8; i++) {
      String itemId = "item-" + i;
      submit(() -> client.upsertItem(itemId, "Item " + itemId, "SKU-" + itemId,
          100L + random.nextInt(900)));
      submit(() -> client.setStock(itemId, 100));
    }
  }

  private void sell(List<Item> catalog) {
    String orderId = deviceId + "-o" + (++orders);
    if (!submit(() -> client.openOrder(orderId))) {
      return;
    }
    long total = 0;
    int lines = 1 + random.nextInt(3);
    for (int line = 0; line < lines; line++) {
      Item item = pick(catalog);
      String lineId = "l" + line;
      long quantity = 1 + random.nextInt(3);
      if (submit(() -> client.addLine(orderId, lineId, item.itemId(), quantity,
          item.priceCents()))) {
        total += quantity * item.priceCents();
        submit(() -> client.adjustStock(item.itemId(), -quantity));
      }
    }
    long amount = total;
    submit(() -> client.addPayment(orderId, "p1", amount));
    submit(() -> client.setOrderState(orderId, OrderState.PAID));
  }

  private Item pick(List<Item> catalog) {
    return catalog.get(random.nextInt(catalog.size()));
  }

  /** Runs one mutation; a mutation the replica refuses is counted, not fatal. */
  private boolean submit(Supplier<Long> mutation) {
    try {
      mutation.get();
      submitted.incrementAndGet();
      return true;
    } catch (IllegalArgumentException e) {
      refused.incrementAndGet();
      return false;
    }
  }

  void close() {
    client.close();
  }
}
