package io.lockstep.config;

import java.util.ArrayList;
import java.util.List;

/**
 * A remoting endpoint of a cluster member to join, {@code host:port}. IPv6 literals are written
 * in brackets: {@code [::1]:25520}.
 */
public record SeedNode(String host, int port) {

  public SeedNode {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("seed node host is empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("seed node port out of range 1..65535: " + port);
    }
  }

  /**
   * Parses a comma-separated list such as {@code "10.0.0.1:25520, 10.0.0.2:25520"}. Blank input
   * is an empty list; blank entries are rejected.
   *
   * @throws IllegalArgumentException naming the entry that is not {@code host:port}
   */
  public static List<SeedNode> parseList(String list) {
    if (list == null || list.isBlank()) {
      return List.of();
    }
    List<SeedNode> nodes = new ArrayList<>();
    for (String entry : list.split(",", -1)) {
      nodes.add(parse(entry.trim()));
    }
    return List.copyOf(nodes);
  }

  /** Parses one {@code host:port}. */
  public static SeedNode parse(String entry) {
    int colon = entry.lastIndexOf(':');
    if (colon <= 0 || colon == entry.length() - 1) {
      throw new IllegalArgumentException("seed node is not host:port: '" + entry + "'");
    }
    String host = entry.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new IllegalArgumentException("IPv6 seed node needs brackets, [addr]:port: '" + entry + "'");
    }
    int port;
    try {
      port = Integer.parseInt(entry.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("seed node port is not a number: '" + entry + "'");
    }
    return new SeedNode(host, port);
  }

  /** The Pekko address of this node in the actor system {@code systemName}. */
  public String address(String systemName) {
    String hostPart = host.contains(":") ? "[" + host + "]" : host;
    return "pekko://" + systemName + "@" + hostPart + ":" + port;
  }
}
