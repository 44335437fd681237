package io.lockstep.ops;

import io.lockstep.merchant.MerchantEntity;
import io.lockstep.merchant.SyncBarrier;
import io.lockstep.ops.v1.MerchantOverview;
import io.lockstep.ops.v1.OverviewDevice;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * One merchant as its entity holds it now, with its devices as the sync barrier knows them and
 * their delivery lag on this node: the operator console's merchant view. Asking starts the
 * merchant's entity if it is passivated.
 */
public final class MerchantOverviewQuery {
  private final ClusterSharding sharding;
  private final Duration timeout;
  private final LagTable lag;

  public MerchantOverviewQuery(ActorSystem<?> system, Duration timeout, LagTable lag) {
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
    this.lag = lag;
  }

  public CompletionStage<MerchantOverview> overview(String merchantId) {
    EntityRef<MerchantEntity.Command> merchant = sharding.entityRefFor(MerchantEntity.ENTITY_KEY, merchantId);
    CompletionStage<MerchantEntity.View> view = merchant.ask(MerchantEntity.GetView::new, timeout);
    CompletionStage<MerchantEntity.SyncStatus> devices =
        merchant.ask(replyTo -> new MerchantEntity.AwaitSync(0, 0, replyTo), timeout);
    return view.thenCombine(devices, (v, d) -> {
      Map<String, Long> lagOf = lag.merchant(merchantId).stream()
          .collect(Collectors.toMap(LagTable.Lag::deviceId, LagTable.Lag::writtenP99Millis));
      MerchantOverview.Builder overview = MerchantOverview.newBuilder()
          .setMerchantId(merchantId)
          .setHeadSeq(v.headSeq())
          .addAllItems(v.items())
          .addAllOrders(v.orders())
          .addAllConflicts(v.conflicts());
      for (SyncBarrier.Device device : d.devices()) {
        overview.addDevices(OverviewDevice.newBuilder()
            .setDeviceId(device.deviceId())
            .setConnected(device.connected())
            .setAppliedSeq(device.appliedSeq())
            .setLastSeenMillis(device.lastSeenMillis())
            .setLagP99Millis(lagOf.getOrDefault(device.deviceId(), 0L)));
      }
      return overview.build();
    });
  }
}
