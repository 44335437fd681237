package io.lockstep.testing;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.lockstep.api.v1.Problem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A plain HTTP client for one server of a test node, with bearer tokens and JSON helpers. */
public final class HttpApi {
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String host;
  private final int port;

  public HttpApi(int port) {
    this("127.0.0.1", port);
  }

  public HttpApi(String host, int port) {
    this.host = host;
    this.port = port;
  }

  public HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + path)).timeout(Duration.ofSeconds(40));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return b;
  }

  public HttpResponse<String> get(String path, String token) {
    return send(request(path, token).GET().build());
  }

  public CompletableFuture<HttpResponse<String>> getAsync(String path, String token) {
    return client.sendAsync(request(path, token).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  public HttpResponse<String> post(String path, String token, String body, String... headers) {
    HttpRequest.Builder b = request(path, token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return send(b.build());
  }

  public HttpResponse<String> send(HttpRequest request) {
    try {
      return client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Parses a proto3 JSON body into {@code builder}. */
  @SuppressWarnings("unchecked")
  public static <M extends Message> M parse(String json, Message.Builder builder) {
    try {
      JsonFormat.parser().merge(json, builder);
      return (M) builder.build();
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("not valid JSON for " + builder.getDescriptorForType().getFullName() + ": " + json, e);
    }
  }

  public static Problem problem(HttpResponse<String> response) {
    if (!response.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json")) {
      throw new AssertionError("not a problem response: " + response.headers().map() + " " + response.body());
    }
    return parse(response.body(), Problem.newBuilder());
  }

  public static String json(Message message) {
    try {
      return JsonFormat.printer().print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
