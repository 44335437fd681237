package io.lockstep.api;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every route of the product API: method and path template. The router dispatches on this table
 * and the OpenAPI document is checked against it, so a route cannot exist in one and not the other.
 */
public enum ApiRoute {
  OPENAPI("GET", "/v1/openapi.yaml"),
  LIST_ITEMS("GET", "/v1/merchants/{merchantId}/items"),
  GET_ITEM("GET", "/v1/merchants/{merchantId}/items/{itemId}"),
  LIST_ORDERS("GET", "/v1/merchants/{merchantId}/orders"),
  GET_ORDER("GET", "/v1/merchants/{merchantId}/orders/{orderId}"),
  PUSH_MUTATIONS("POST", "/v1/merchants/{merchantId}/mutations"),
  CHANGES("GET", "/v1/merchants/{merchantId}/changes"),
  CONFLICTS("GET", "/v1/merchants/{merchantId}/conflicts"),
  DEVICES("GET", "/v1/merchants/{merchantId}/devices"),
  SYNC("GET", "/v1/merchants/{merchantId}/sync");

  private final String method;
  private final String template;
  private final List<String> segments;

  ApiRoute(String method, String template) {
    this.method = method;
    this.template = template;
    this.segments = List.of(template.substring(1).split("/"));
  }

  /** Upper-case HTTP method. */
  public String method() {
    return method;
  }

  /** Path template with {@code {name}} parameters, as in the OpenAPI document. */
  public String template() {
    return template;
  }

  /** A request matched to a route, with its path parameters. */
  public record Match(ApiRoute route, Map<String, String> parameters) {
    public String parameter(String name) {
      return parameters.get(name);
    }
  }

  /** The route for {@code method} and decoded path {@code segments}, if any. */
  public static Optional<Match> find(String method, List<String> segments) {
    for (ApiRoute route : values()) {
      if (route.method.equals(method)) {
        Optional<Map<String, String>> parameters = route.bind(segments);
        if (parameters.isPresent()) {
          return Optional.of(new Match(route, parameters.get()));
        }
      }
    }
    return Optional.empty();
  }

  /** The methods that have a route for this path (empty: the path is unknown). */
  public static List<String> methodsFor(List<String> segments) {
    List<String> methods = new ArrayList<>();
    for (ApiRoute route : values()) {
      if (route.bind(segments).isPresent() && !methods.contains(route.method)) {
        methods.add(route.method);
      }
    }
    return methods;
  }

  private Optional<Map<String, String>> bind(List<String> path) {
    if (path.size() != segments.size()) {
      return Optional.empty();
    }
    Map<String, String> parameters = new HashMap<>();
    for (int i = 0; i < segments.size(); i++) {
      String expected = segments.get(i);
      String actual = path.get(i);
      if (expected.startsWith("{")) {
        if (actual.isEmpty()) {
          return Optional.empty();
        }
        parameters.put(expected.substring(1, expected.length() - 1), actual);
      } else if (!expected.equals(actual)) {
        return Optional.empty();
      }
    }
    return Optional.of(Map.copyOf(parameters));
  }
}
