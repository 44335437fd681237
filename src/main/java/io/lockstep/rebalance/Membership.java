package io.lockstep.rebalance;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the planner needs to know of the cluster's members: nodes not reachable, nodes not
 * {@code Up} (joining, leaving, exiting, down…) and the application versions running. The
 * planner holds while any of this is unsettled: a move then could land on a node about to go,
 * or race a rolling update's own hand-offs.
 */
public record Membership(Set<String> unreachable, Set<String> notUp, Set<String> appVersions) {

  public Membership {
    unreachable = Set.copyOf(unreachable);
    notUp = Set.copyOf(notUp);
    appVersions = Set.copyOf(appVersions);
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
    return Optional.empty();
  }
}
