package io.lockstep.rebalance;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the planner needs to know of the cluster's members: nodes not reachable, nodes not
 * {@code Up} (joining, leaving, exiting, down…), the application versions running, and nodes
 * whose load report did not arrive. The planner holds while any of this is unsettled: a move
 * then could land on a node about to go, race a rolling update's own hand-offs, or take a node
 * that did not report for an idle one.
 */
public record Membership(Set<String> unreachable, Set<String> notUp, Set<String> appVersions, Set<String> unmeasured) {

  public Membership {
    unreachable = Set.copyOf(unreachable);
    notUp = Set.copyOf(notUp);
    appVersions = Set.copyOf(appVersions);
    unmeasured = Set.copyOf(unmeasured);
  }

  /** Every node measured. */
  public Membership(Set<String> unreachable, Set<String> notUp, Set<String> appVersions) {
    this(unreachable, notUp, appVersions, Set.of());
  }

  /** This membership, with {@code nodes} not having reported their load. */
  public Membership unmeasured(Set<String> nodes) {
    return new Membership(unreachable, notUp, appVersions, nodes);
  }

  /** Every member up and reachable, all on one version. */
  public static Membership settled(String appVersion) {
    return new Membership(Set.of(), Set.of(), Set.of(appVersion));
  }

  /** Why no plan may be made now, if so. */
  public Optional<String> unsettled() {
    if (!unreachable.isEmpty()) return Optional.of("members unreachable: " + new TreeSet<>(unreachable));
    if (!notUp.isEmpty()) return Optional.of("members joining or leaving: " + new TreeSet<>(notUp));
    if (appVersions.size() > 1) return Optional.of("rolling update: app versions " + new TreeSet<>(appVersions));
    if (!unmeasured.isEmpty()) return Optional.of("no load report from: " + new TreeSet<>(unmeasured));
    return Optional.empty();
  }
}
