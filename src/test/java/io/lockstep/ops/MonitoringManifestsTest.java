package io.lockstep.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.rebalance.LoadLedger;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The alerts and the dashboard in {@code k8s/monitoring} use only metrics a node exports: each
 * {@code lockstep_*} name they name is in the scrape of a node's registry, so a renamed metric
 * cannot leave an alert that never fires. (Their shape is checked by k8s/validate/validate.mjs.)
 */
class MonitoringManifestsTest {
  private static final Path MONITORING = Path.of("k8s", "monitoring");
  private static final Pattern METRIC = Pattern.compile("\\blockstep_[a-z_]+");

  /** The series names a node exports. */
  private static Set<String> exported() {
    LockstepMetrics metrics = new LockstepMetrics();
    metrics.nodeLoad(new LoadLedger(10, Duration.ofSeconds(60), System::nanoTime));
    metrics.clusterUnreachable(() -> 0);
    return metrics.seriesNames();
  }

  private static Set<String> used() throws IOException {
    Set<String> used = new TreeSet<>();
    try (Stream<Path> files = Files.list(MONITORING)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".json")).toList()) {
        Matcher m = METRIC.matcher(Files.readString(file));
        while (m.find()) used.add(m.group());
      }
    }
    return used;
  }

  @Test
  void everyMetricTheAlertsAndTheDashboardUseIsExportedByANode() throws IOException {
    Set<String> exported = exported();
    Set<String> used = used();
    assertTrue(used.size() >= 10, "the manifests name the node's metrics: " + used);
    Set<String> missing = new TreeSet<>(used);
    missing.removeAll(exported);
    assertEquals(Set.of(), missing, "used in k8s/monitoring but not exported; exported: " + exported);
  }

  @Test
  void theSloAlertsAndTheHealthAlertsTheOperatorsNeedAreThere() throws IOException {
    String alerts = Files.readString(MONITORING.resolve("lockstep-alerts.yaml"));
    for (String alert : new String[] {"LockstepFanoutSloFastBurn", "LockstepFanoutSloSlowBurn",
        "LockstepJournalWritesFailing", "LockstepMembersUnreachable", "LockstepRebalancerStalled"}) {
      assertTrue(alerts.contains("alert: " + alert), alert);
    }
  }

  @Test
  void failedJournalWritesAndUnreachableMembersAreCounted() {
    LockstepMetrics metrics = new LockstepMetrics();
    metrics.clusterUnreachable(() -> 2);
    metrics.writeFailed("m");
    metrics.writeFailed("m");
    String scrape = new String(metrics.scrape(), StandardCharsets.UTF_8);
    assertTrue(scrape.contains("lockstep_journal_write_failures_total 2.0"), scrape);
    assertTrue(scrape.contains("lockstep_cluster_unreachable_members 2.0"), scrape);
  }
}
