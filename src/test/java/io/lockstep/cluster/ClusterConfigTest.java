package io.lockstep.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lockstep.config.LockstepConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The cluster settings keep their promises: a crashed node's merchants are served elsewhere within
 * 30 s (the arithmetic of the README's fail-over table), SIGTERM runs coordinated shutdown, and the
 * kubernetes overlay forms the cluster through the Kubernetes API.
 */
class ClusterConfigTest {

  /** Recovery of an entity and the phi failure detector's margin beyond the pause, generously. */
  private static final Duration RECOVERY_AND_PHI_MARGIN = Duration.ofSeconds(5);

  private final Config config = LockstepConfig.load(Map.of(), ConfigFactory.empty());

  @Test
  void aCrashedNodesShardsAreReallocatedWithinThirtySeconds() {
    Config cluster = config.getConfig("pekko.cluster");
    assertEquals("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider", cluster.getString("downing-provider-class"));
    assertEquals("keep-majority", cluster.getString("split-brain-resolver.active-strategy"));
    Duration detection = cluster.getDuration("failure-detector.heartbeat-interval")
        .plus(cluster.getDuration("failure-detector.acceptable-heartbeat-pause"));
    Duration stableAfter = cluster.getDuration("split-brain-resolver.stable-after");
    Duration removalMargin = cluster.getDuration("down-removal-margin");
    Duration total = detection.plus(stableAfter).plus(removalMargin).plus(RECOVERY_AND_PHI_MARGIN);
    assertTrue(total.compareTo(Duration.ofSeconds(30)) <= 0, "fail-over budget " + total);
    assertTrue(stableAfter.compareTo(Duration.ofSeconds(7)) >= 0, "stable-after tolerates GC pauses: " + stableAfter);
  }

  @Test
  void sigtermRunsCoordinatedShutdown() {
    assertTrue(config.getBoolean("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook"));
  }

  @Test
  void kubernetesOverlayDiscoversPodsThroughTheApiOnTheManagementPort() {
    Config k8s = LockstepConfig.load(
        Map.of("LOCKSTEP_CLUSTER_FORMATION", "kubernetes", "LOCKSTEP_POD_IP", "10.4.0.7"), ConfigFactory.empty());
    Config discovery = k8s.getConfig("pekko.management.cluster.bootstrap.contact-point-discovery");
    assertEquals("kubernetes-api", discovery.getString("discovery-method"));
    assertEquals("management", discovery.getString("port-name"));
    assertEquals("10.4.0.7", k8s.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals("10.4.0.7", k8s.getString("pekko.management.http.hostname"));
  }
}
