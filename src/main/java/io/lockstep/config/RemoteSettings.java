package io.lockstep.config;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Locale;

/**
 * Cluster membership: this node's remoting endpoint and how it finds the others.
 *
 * @param host canonical hostname other nodes use to reach this one
 * @param port canonical Artery port; 0 picks a free port (tests)
 * @param seedNodes nodes to join, in order; empty means this node forms a cluster on its own
 * @param formation how the cluster is formed
 */
public record RemoteSettings(String host, int port, List<SeedNode> seedNodes, Formation formation) {

  /** How a node finds its cluster. */
  public enum Formation {
    /** Join {@link RemoteSettings#seedNodes()}, or itself when there are none. */
    SEED_NODES,
    /** Pekko Cluster Bootstrap over the Kubernetes API; seed nodes are ignored. */
    KUBERNETES
  }

  public RemoteSettings {
    seedNodes = List.copyOf(seedNodes);
  }

  /** Parses {@code lockstep.remote} and {@code lockstep.cluster}. */
  public static RemoteSettings from(Config remote, Config cluster) {
    String formation = cluster.getString("formation");
    Formation parsed =
        switch (formation.toLowerCase(Locale.ROOT)) {
          case "seed-nodes" -> Formation.SEED_NODES;
          case "kubernetes" -> Formation.KUBERNETES;
          default ->
              throw new IllegalArgumentException(
                  "lockstep.cluster.formation is neither seed-nodes nor kubernetes: " + formation);
        };
    return new RemoteSettings(
        remote.getString("host"),
        LockstepSettings.port(remote, "port"),
        SeedNode.parseList(remote.getString("seed-nodes")),
        parsed);
  }
}
