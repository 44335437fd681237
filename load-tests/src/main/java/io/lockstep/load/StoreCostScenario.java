package io.lockstep.load;

import io.lockstep.client.store.ReplicaStore;
import io.lockstep.client.store.StoreChange;
import io.lockstep.client.v1.ClientStore;
import io.lockstep.client.v1.PendingMutation;
import io.lockstep.protocol.v1.AddLine;
import io.lockstep.protocol.v1.Item;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Order;
import io.lockstep.protocol.v1.OrderLine;
import io.lockstep.protocol.v1.OrderState;
import io.lockstep.protocol.v1.Payment;
import io.lockstep.protocol.v1.VersionVector;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code load-tests/run store-cost [--sizes 100,1000,10000,100000] [--writes N] [--out DIR]}: what
 * one write of a device's store costs as the store grows. Per store size (orders already stored),
 * the p50/p99 wall time of one sale's write (one new paid order, one item's stock, one outbox entry
 * added and one settled): in the client's SQLite store ({@link ReplicaStore}, one transaction), and
 * in the whole-file store of format 1 it replaced (the whole {@link ClientStore} encoded, written
 * to {@code FILE.tmp}, fsynced, renamed over the file, directory fsynced), measured in the same run
 * on the same disk. No server; writes {@code DIR/summary.json}.
 */
final class StoreCostScenario {

  private static final int ITEMS = 200;
  private static final int WARM_UP_WRITES = 20;

  private final Path dir;
  private final int writes;

  private StoreCostScenario(Path dir, int writes) {
    this.dir = dir;
    this.writes = writes;
  }

  static int run(Map<String, String> opts) throws Exception {
    Path out = Path.of(opts.getOrDefault("out", "load-tests/results/store-cost")).toAbsolutePath();
    int[] sizes = Arrays.stream(opts.getOrDefault("sizes", "100,1000,10000,100000").split(","))
        .mapToInt(Integer::parseInt).toArray();
    int writes = Integer.parseInt(opts.getOrDefault("writes", "200"));
    Files.createDirectories(out);
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("scenario", "store-cost");
    summary.put("started", java.time.Instant.now().toString());
    Map<String, Object> machine = new LinkedHashMap<>();
    machine.put("cores", Runtime.getRuntime().availableProcessors());
    machine.put("load_average_at_start", DriverHealth.loadAverage());
    summary.put("machine", machine);
    summary.put("writes_per_size", writes);
    StoreCostScenario scenario = new StoreCostScenario(out.resolve("stores"), writes);
    List<Map<String, Object>> rows = new ArrayList<>();
    System.out.printf("%-9s %13s %13s %15s %15s %11s %11s%n", "orders", "sqlite p50 ms",
        "sqlite p99 ms", "whole p50 ms", "whole p99 ms", "sqlite MB", "whole MB");
    for (int size : sizes) {
      Map<String, Object> row = scenario.measure(size);
      rows.add(row);
      System.out.printf("%-9d %13.3f %13.3f %15.3f %15.3f %11.1f %11.1f%n", size,
          at(row, "sqlite", "p50_ms"), at(row, "sqlite", "p99_ms"), at(row, "whole_file", "p50_ms"),
          at(row, "whole_file", "p99_ms"), at(row, "sqlite", "store_mb"),
          at(row, "whole_file", "store_mb"));
    }
    summary.put("sizes", rows);
    machine.put("load_average_at_end", DriverHealth.loadAverage());
    summary.put("notes", List.of("one write = one sale: a new paid order of 3 lines, one item's "
        + "stock, one outbox entry added and one settled; sqlite: WAL, synchronous=FULL"));
    Files.writeString(out.resolve("summary.json"), Report.json(summary));
    System.out.println(Report.json(summary));
    deleteTree(out.resolve("stores"));
    return 0;
  }

  @SuppressWarnings("unchecked")
  private static double at(Map<String, Object> row, String store, String key) {
    return ((Number) ((Map<String, Object>) row.get(store)).get(key)).doubleValue();
  }

  private Map<String, Object> measure(int size) throws IOException {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("orders", size);
    row.put("sqlite", sqlite(size));
    row.put("whole_file", wholeFile(size));
    return row;
  }

  // ---- the SQLite store ----------------------------------------------------------------------

  private Map<String, Object> sqlite(int size) throws IOException {
    Path file = dir.resolve("sqlite-" + size + "/till.store");
    long[] nanos = new long[writes];
    try (ReplicaStore store = ReplicaStore.open(file)) {
      store.write(new StoreChange("till", "m", size, 1, true, catalog(), orders(size), List.of(),
          List.of()));
      for (int n = -WARM_UP_WRITES; n < writes; n++) {
        int sale = size + WARM_UP_WRITES + n;
        StoreChange change = new StoreChange("till", "m", sale, sale + 2, false,
            List.of(item(sale % ITEMS, sale)), List.of(order(sale)), List.of(pending(sale + 1)),
            List.of((long) sale));
        long start = System.nanoTime();
        store.write(change);
        if (n >= 0) {
          nanos[n] = System.nanoTime() - start;
        }
      }
    }
    long bytes = sizeOf(file.getParent());
    deleteTree(file.getParent());
    return stats(nanos, bytes);
  }

  // ---- the whole-file store (format 1), the baseline ---------------------------------------

  private Map<String, Object> wholeFile(int size) throws IOException {
    Path file = dir.resolve("whole-" + size + "/till.store");
    Files.createDirectories(file.getParent());
    ClientStore.Builder state = ClientStore.newBuilder().setFormatVersion(1).setDeviceId("till")
        .setMerchantId("m").setLastAppliedSeq(size).setNextCounter(1)
        .addAllItems(catalog()).addAllOrders(orders(size));
    writeWhole(file, state.build());
    long[] nanos = new long[writes];
    for (int n = -WARM_UP_WRITES; n < writes; n++) {
      int sale = size + WARM_UP_WRITES + n;
      // The whole-file client built the message from its replica on every write, as here.
      state.setLastAppliedSeq(sale).setNextCounter(sale + 2).setItems(sale % ITEMS, item(sale % ITEMS, sale))
          .addOrders(order(sale)).clearPending().addPending(pending(sale + 1));
      long start = System.nanoTime();
      writeWhole(file, state.build());
      if (n >= 0) {
        nanos[n] = System.nanoTime() - start;
      }
    }
    long bytes = sizeOf(file.getParent());
    deleteTree(file.getParent());
    return stats(nanos, bytes);
  }

  /** What the whole-file client did on every write: encode all, temp file, fsync, rename, fsync. */
  private static void writeWhole(Path file, ClientStore store) throws IOException {
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buffer = ByteBuffer.wrap(store.toByteArray());
      while (buffer.hasRemaining()) {
        out.write(buffer);
      }
      out.force(true);
    }
    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel d = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  // ---- the data: a catalog, a day's paid orders, one sale per write -------------------------

  private static List<Item> catalog() {
    List<Item> items = new ArrayList<>(ITEMS);
    for (int i = 0; i < ITEMS; i++) {
      items.add(item(i, 0));
    }
    return items;
  }

  private static Item item(int i, long sold) {
    return Item.newBuilder().setItemId(String.format("item-%04d", i)).setName("Item " + i)
        .setSku("SKU-" + i).setPriceCents(350 + i).setStock(100_000 - sold)
        .setVersion(VersionVector.newBuilder().putCounters("backoffice", i + 1)
            .putCounters("till", sold + 1)).build();
  }

  private static List<Order> orders(int count) {
    List<Order> orders = new ArrayList<>(count);
    for (int n = 0; n < count; n++) {
      orders.add(order(n));
    }
    return orders;
  }

  /** A paid order of three lines, as the server resolved it. */
  private static Order order(int n) {
    Order.Builder o = Order.newBuilder().setOrderId(String.format("order-%07d", n))
        .setState(OrderState.PAID)
        .setVersion(VersionVector.newBuilder().putCounters("till", 5L * n + 5));
    long total = 0;
    for (int line = 0; line < 3; line++) {
      long price = 350 + (n + line) % ITEMS;
      o.addLines(OrderLine.newBuilder().setLineId("l" + line)
          .setItemId(String.format("item-%04d", (n + line) % ITEMS)).setQuantity(1 + line)
          .setPriceCents(price));
      total += price * (1 + line);
    }
    return o.addPayments(Payment.newBuilder().setPaymentId("p1").setAmountCents(total)).build();
  }

  private static PendingMutation pending(long counter) {
    return PendingMutation.newBuilder().setMutation(Mutation.newBuilder().setCounter(counter)
        .setAddLine(AddLine.newBuilder().setOrderId("order-next").setLineId("l" + counter)
            .setItemId("item-0001").setQuantity(1).setPriceCents(351))).build();
  }

  // ---- figures and files ---------------------------------------------------------------------

  private static Map<String, Object> stats(long[] nanos, long bytes) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("p50_ms", round(sorted[(int) Math.ceil(0.50 * sorted.length) - 1] / 1e6));
    s.put("p99_ms", round(sorted[(int) Math.ceil(0.99 * sorted.length) - 1] / 1e6));
    s.put("max_ms", round(sorted[sorted.length - 1] / 1e6));
    s.put("store_mb", round(bytes / 1e6));
    return s;
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private static long sizeOf(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.delete(p);
      }
    }
  }
}
