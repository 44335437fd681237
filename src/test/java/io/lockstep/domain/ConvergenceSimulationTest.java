package io.lockstep.domain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.serialization.MerchantStateCodec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A deterministic simulation of a merchant's fleet: devices with a local {@link DeviceReplica} go
 * offline, sell, restock, edit prices, delete, count stock and take payments, come back in random
 * order and push. The simulated server applies pushes in arrival order; every stored mutation
 * becomes a {@code Change} (encoded on the real wire types) that devices apply in seq order,
 * re-applying their pending mutations on top. Acks get lost now and then, so mutations are
 * re-sent. Once everything is delivered, every device's resolved state must equal the server's,
 * byte for byte.
 */
class ConvergenceSimulationTest {

  static LongStream seeds() {
    return LongStream.range(0, 200);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void everyDeviceEndsWithTheServersResolvedState(long seed) {
    Random random = new Random(seed);
    Server server = new Server();
    List<SimDevice> devices = new ArrayList<>();
    int deviceCount = 2 + random.nextInt(4);
    for (int i = 0; i < deviceCount; i++) {
      devices.add(new SimDevice("pos-" + i, Authority.DEVICE, random));
    }
    devices.add(new SimDevice("catalog-svc", Authority.SERVICE, random));

    int steps = 150 + random.nextInt(150);
    for (int step = 0; step < steps; step++) {
      SimDevice device = devices.get(random.nextInt(devices.size()));
      int roll = random.nextInt(10);
      if (roll == 0) {
        device.online = !device.online;
      } else if (roll <= 2 && device.online) {
        device.sync(server, random.nextInt(5) == 0);
      } else {
        device.mutate(step);
      }
    }

    devices.forEach(d -> d.online = true);
    for (int round = 0; round < 10 && devices.stream().anyMatch(d -> !d.replica.pending()
        .isEmpty()); round++) {
      Collections.shuffle(devices, random);
      devices.forEach(d -> d.sync(server, false));
    }
    devices.forEach(d -> d.sync(server, false));

    byte[] expected = MerchantStateCodec.toBytes(server.state.resolvedView());
    assertTrue(server.state.headSeq() > 0, "seed " + seed + ": nothing was stored");
    for (SimDevice device : devices) {
      assertEquals(List.of(), device.replica.pending(), "seed " + seed + ": " + device.id);
      assertArrayEquals(expected, MerchantStateCodec.toBytes(device.replica.view().resolvedView()),
          () -> "seed " + seed + ": " + device.id + " diverged\nserver " + server.state.items()
              + "\n" + server.state.orders() + "\ndevice " + device.replica.view().items() + "\n"
              + device.replica.view().orders());
    }
  }

  /** The merchant entity reduced to its decisions: apply in arrival order, log stored changes. */
  static final class Server {
    MerchantState state = MerchantState.empty();
    final List<byte[]> changes = new ArrayList<>();

    /** Applies one pushed mutation; returns its ack status. */
    AckStatus push(String deviceId, Authority authority, byte[] wire) {
      io.lockstep.protocol.v1.Mutation proto;
      try {
        proto = io.lockstep.protocol.v1.Mutation.parseFrom(wire);
      } catch (InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
      Mutation m = DeviceProtocolMapper.toDomain(deviceId, authority, proto);
      long seq = state.headSeq() + 1;
      Outcome outcome = state.apply(seq, m);
      if (!outcome.stored()) {
        return outcome instanceof Outcome.Duplicate ? AckStatus.DUPLICATE : AckStatus.REJECTED;
      }
      state = outcome.state();
      DomainRecord record = state.record(m.op()).orElseThrow();
      Change.Builder change = Change.newBuilder().setSeq(seq).setDeviceId(deviceId)
          .setCounter(m.dot().counter()).setMutation(proto)
          .setStatus(outcome instanceof Outcome.Accepted ? AckStatus.ACCEPTED : AckStatus.REJECTED);
      state.conflictsAt(seq).stream().findFirst()
          .ifPresent(c -> change.setConflict(DeviceProtocolMapper.toProto(c)));
      changes.add(DeviceProtocolMapper.withRecord(change, record).build().toByteArray());
      return outcome instanceof Outcome.Accepted ? AckStatus.ACCEPTED : AckStatus.REJECTED;
    }
  }

  /** One device (or the product service): a replica, a clock, and habits. */
  static final class SimDevice {
    final String id;
    final Authority authority;
    final Random random;
    final long skewMillis;
    final HybridLogicalClock clock;
    DeviceReplica replica;
    long counter;
    long now;
    boolean online = true;
    int created;

    SimDevice(String id, Authority authority, Random random) {
      this.id = id;
      this.authority = authority;
      this.random = random;
      this.skewMillis = random.nextInt(10_000);
      this.clock = new HybridLogicalClock(() -> now + skewMillis);
      this.replica = DeviceReplica.create(id);
    }

    void sync(Server server, boolean loseAcks) {
      if (!online) {
        return;
      }
      List<Long> acked = new ArrayList<>();
      for (Mutation m : replica.pending()) {
        server.push(id, authority, DeviceProtocolMapper.toProto(m).toByteArray());
        if (!loseAcks) {
          acked.add(m.dot().counter());
        }
      }
      for (byte[] bytes : server.changes.subList((int) replica.headSeq(), server.changes.size())) {
        Change change = parse(bytes);
        clock.observe(Hlc.unpack(change.getMutation().getHlc()));
        replica = replica.withChange(change.getSeq(), DeviceProtocolMapper.recordOf(change));
      }
      for (long counter : acked) {
        replica = replica.acknowledged(counter);
      }
    }

    private static Change parse(byte[] bytes) {
      try {
        return Change.parseFrom(bytes);
      } catch (InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    }

    void mutate(int step) {
      now = 1_700_000_000_000L + step * 20L;
      for (Op op : nextOps()) {
        Mutation m = new Mutation(new Dot(id, ++counter), replica.baseFor(op), clock.now(),
            authority, op);
        replica = replica.submit(m);
      }
    }

    private List<Op> nextOps() {
      MerchantState view = replica.view();
      List<Item> items = new ArrayList<>(view.items().values());
      List<Order> open = view.orders().values().stream()
          .filter(o -> o.state() == OrderState.OPEN).toList();
      List<Order> orders = new ArrayList<>(view.orders().values());
      int roll = random.nextInt(authority == Authority.SERVICE ? 4 : 16);
      if (items.isEmpty() || roll == 0) {
        return List.of(new Op.UpsertItem(id + "-i" + created++, "item " + created, "SKU" + created,
            (long) (100 + random.nextInt(900))));
      }
      Item item = items.get(random.nextInt(items.size()));
      switch (roll) {
        case 1:
          return List.of(new Op.UpsertItem(item.itemId(), null, null,
              (long) (100 + random.nextInt(900))));
        case 2:
          return List.of(new Op.AdjustStock(item.itemId(), 1 + random.nextInt(20)));
        case 3:
          return List.of(random.nextBoolean() ? new Op.DeleteItem(item.itemId())
              : new Op.UpsertItem(item.itemId(), "renamed by " + id, null, null));
        case 4:
          return List.of(new Op.SetStock(item.itemId(), random.nextInt(50)));
        case 5:
          return List.of(new Op.OpenOrder(id + "-o" + created++));
        case 6:
        case 7:
        case 8:
          return sale(item, open);
        case 9:
          return removeLine(open);
        case 10:
          return orders.isEmpty() ? List.of() : List.of(new Op.SetOrderState(
              orders.get(random.nextInt(orders.size())).orderId(),
              OrderState.values()[random.nextInt(OrderState.values().length)]));
        case 11:
        case 12:
          return pay(orders);
        case 13:
          return List.of(new Op.AdjustStock(item.itemId(), 0)); // invalid: rejected
        default:
          return List.of(new Op.AdjustStock(item.itemId(), -1 - random.nextInt(3)));
      }
    }

    private List<Op> sale(Item item, List<Order> open) {
      if (open.isEmpty()) {
        return List.of(new Op.OpenOrder(id + "-o" + created++));
      }
      Order order = open.get(random.nextInt(open.size()));
      long quantity = 1 + random.nextInt(3);
      return List.of(
          new Op.AddLine(order.orderId(), id + "-l" + created++, item.itemId(), quantity,
              item.priceCents()),
          new Op.AdjustStock(item.itemId(), -quantity));
    }

    private List<Op> removeLine(List<Order> open) {
      List<Order> withLines = open.stream().filter(o -> !o.lines().isEmpty()).toList();
      if (withLines.isEmpty()) {
        return List.of();
      }
      Order order = withLines.get(random.nextInt(withLines.size()));
      List<String> lines = new ArrayList<>(order.lines().keySet());
      return List.of(new Op.RemoveLine(order.orderId(), lines.get(random.nextInt(lines.size()))));
    }

    private List<Op> pay(List<Order> orders) {
      if (orders.isEmpty()) {
        return List.of();
      }
      Order order = orders.get(random.nextInt(orders.size()));
      long total = order.lines().values().stream()
          .mapToLong(l -> l.quantity() * l.priceCents()).sum();
      return List.of(
          new Op.AddPayment(order.orderId(), id + "-p" + created++, Math.max(1, total)),
          new Op.SetOrderState(order.orderId(), random.nextInt(5) == 0 ? OrderState.REFUNDED
              : OrderState.PAID));
    }
  }
}
