package io.lockstep.api;

import io.lockstep.http.ApiProblem;
import io.lockstep.http.BearerAuthentication;
import io.lockstep.http.HttpErrors;
import io.lockstep.http.JsonBodies;
import io.lockstep.http.ProblemType;
import io.lockstep.api.v1.AckList;
import io.lockstep.api.v1.ConflictList;
import io.lockstep.api.v1.DeviceList;
import io.lockstep.api.v1.SyncDevice;
import io.lockstep.api.v1.SyncStatus;
import io.lockstep.api.v1.DeviceStatus;
import io.lockstep.api.v1.ItemList;
import io.lockstep.api.v1.OrderList;
import io.lockstep.config.ApiSettings;
import io.lockstep.config.LimitSettings;
import io.lockstep.merchant.MerchantEntity;
import io.lockstep.protocol.v1.Push;
import io.lockstep.security.MutationLimits;
import io.lockstep.security.ServicePrincipal;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.Materializer;

/**
 * The product-service HTTP API under {@code /v1}: translates requests into entity commands and
 * journal reads and their answers into JSON. Routes come from {@link ApiRoute}; every failure
 * becomes a problem response through {@link HttpErrors}.
 */
public final class ProductApi extends AllDirectives {
  /** Where the OpenAPI document lives on the classpath. */
  public static final String OPENAPI_RESOURCE = "openapi/lockstep.yaml";

  private static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  /** Extra time a long-poll request gets beyond its wait, for the journal reads around it. */
  private static final Duration LONG_POLL_MARGIN = Duration.ofSeconds(10);

  private final ActorSystem<?> system;
  private final BearerAuthentication auth;
  private final MerchantGateway merchants;
  private final ChangeFeed feed;
  private final ApiSettings settings;
  private final LimitSettings limits;
  private final MutationLimits mutationLimits;
  private final byte[] openApi;

  public ProductApi(
      ActorSystem<?> system,
      BearerAuthentication auth,
      MerchantGateway merchants,
      ChangeFeed feed,
      ApiSettings settings,
      LimitSettings limits) {
    this.system = system;
    this.auth = auth;
    this.merchants = merchants;
    this.feed = feed;
    this.settings = settings;
    this.limits = limits;
    this.mutationLimits = new MutationLimits(limits);
    this.openApi = readOpenApi();
  }

  /** Every route of {@link ApiRoute}; any other path is a 404, another method a 405 problem. */
  public Route route() {
    return extractRequest(request -> {
      List<String> segments = new ArrayList<>();
      request.getUri().pathSegments().forEach(segments::add);
      Optional<ApiRoute.Match> match = ApiRoute.find(request.method().name(), segments);
      if (match.isEmpty()) {
        return complete(unmatched(segments));
      }
      if (match.get().route() == ApiRoute.CHANGES) {
        // A long-poll may outlast pekko.http.server.request-timeout.
        return withRequestTimeout(settings.changesMaxWait().plus(LONG_POLL_MARGIN),
            () -> completeWithFuture(handle(request, match.get())));
      }
      return completeWithFuture(handle(request, match.get()));
    });
  }

  private static HttpResponse unmatched(List<String> segments) {
    List<String> methods = ApiRoute.methodsFor(segments);
    if (methods.isEmpty()) {
      return JsonBodies.problem(ProblemType.NOT_FOUND, "no such resource");
    }
    return JsonBodies.problem(ProblemType.METHOD_NOT_ALLOWED, "allowed: " + String.join(", ", methods))
        .addHeader(Allow.create(methods.stream().map(m -> HttpMethods.lookup(m).orElseThrow()).toArray(HttpMethod[]::new)));
  }

  private CompletionStage<HttpResponse> handle(HttpRequest request, ApiRoute.Match match) {
    CompletionStage<HttpResponse> response;
    try {
      response = dispatch(request, match);
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    return response.exceptionally(HttpErrors::response);
  }

  private CompletionStage<HttpResponse> dispatch(HttpRequest request, ApiRoute.Match match) {
    if (match.route() == ApiRoute.OPENAPI) {
      return done(() -> HttpResponse.create().withEntity(
          ContentTypes.create(MediaTypes.applicationWithOpenCharset("yaml"), HttpCharsets.UTF_8), openApi));
    }
    String merchantId = id("merchantId", match.parameter("merchantId"));
    ServicePrincipal service = auth.service(request, merchantId);
    return switch (match.route()) {
      case LIST_ITEMS -> merchants.view(merchantId).thenApply(v ->
          JsonBodies.ok(ItemList.newBuilder().setHeadSeq(v.headSeq()).addAllItems(v.items()).build()));
      case GET_ITEM -> {
        String itemId = id("itemId", match.parameter("itemId"));
        yield merchants.view(merchantId).thenApply(v -> JsonBodies.ok(v.items().stream()
            .filter(i -> i.getItemId().equals(itemId)).findFirst()
            .orElseThrow(() -> new ApiProblem(ProblemType.NOT_FOUND, "no item " + itemId + " at merchant " + merchantId))));
      }
      case LIST_ORDERS -> merchants.view(merchantId).thenApply(v ->
          JsonBodies.ok(OrderList.newBuilder().setHeadSeq(v.headSeq()).addAllOrders(v.orders()).build()));
      case GET_ORDER -> {
        String orderId = id("orderId", match.parameter("orderId"));
        yield merchants.view(merchantId).thenApply(v -> JsonBodies.ok(v.orders().stream()
            .filter(o -> o.getOrderId().equals(orderId)).findFirst()
            .orElseThrow(() -> new ApiProblem(ProblemType.NOT_FOUND, "no order " + orderId + " at merchant " + merchantId))));
      }
      case CONFLICTS -> merchants.view(merchantId).thenApply(v ->
          JsonBodies.ok(ConflictList.newBuilder().setHeadSeq(v.headSeq()).addAllConflicts(v.conflicts()).build()));
      case DEVICES -> merchants.devices(merchantId).thenApply(d -> JsonBodies.ok(deviceList(d)));
      case PUSH_MUTATIONS -> push(request, merchantId, service);
      case CHANGES -> changes(request, merchantId, service);
      case SYNC -> sync(request, merchantId);
      case OPENAPI -> throw new IllegalStateException("handled above");
    };
  }

  private CompletionStage<HttpResponse> push(HttpRequest request, String merchantId, ServicePrincipal service) {
    String key = request.getHeader(IDEMPOTENCY_KEY).map(h -> h.value()).orElse("");
    if (key.length() > limits.maxStringLength()) {
      throw new ApiProblem(ProblemType.INVALID_REQUEST,
          IDEMPOTENCY_KEY + " longer than " + limits.maxStringLength() + " characters");
    }
    long declared = request.entity().getContentLengthOption().orElse(-1L);
    if (declared > limits.maxFrameBytes()) {
      throw tooLarge();
    }
    return request.entity()
        .withSizeLimit(limits.maxFrameBytes())
        .toStrict(settings.bodyReadTimeout().toMillis(), Materializer.matFromSystem(system))
        .thenCompose(strict -> {
          Push push = JsonBodies.parse(strict.getData().utf8String(), Push.newBuilder()).build();
          checkPush(push);
          return merchants.push(merchantId, service.name(), push.getMutationsList(), key);
        })
        .thenApply(acks -> JsonBodies.ok(AckList.newBuilder().addAllAcks(acks).build()));
  }

  private ApiProblem tooLarge() {
    return new ApiProblem(ProblemType.PAYLOAD_TOO_LARGE,
        "request body exceeds the limit of " + limits.maxFrameBytes() + " bytes");
  }

  private void checkPush(Push push) {
    if (push.getMutationsCount() == 0) {
      throw new ApiProblem(ProblemType.INVALID_REQUEST, "the push has no mutations");
    }
    Optional<MutationLimits.Violation> violation = mutationLimits.check(push);
    if (violation.isPresent()) throw new ApiProblem(problemOf(violation.get().kind()), violation.get().message());
  }

  private static ProblemType problemOf(MutationLimits.Violation.Kind kind) {
    return switch (kind) {
      case TOO_MANY_MUTATIONS -> ProblemType.TOO_MANY_MUTATIONS;
      case UNKNOWN_OP -> ProblemType.UNKNOWN_OP;
      case LIMIT_EXCEEDED -> ProblemType.INVALID_REQUEST;
    };
  }

  private CompletionStage<HttpResponse> changes(HttpRequest request, String merchantId, ServicePrincipal service) {
    long after = longParameter(request, "after", 0, 0, Long.MAX_VALUE - 1);
    int limit = (int) longParameter(request, "limit", settings.changesDefaultLimit(), 1, settings.changesMaxLimit());
    long waitSeconds = longParameter(request, "wait", 0, 0, Long.MAX_VALUE);
    Duration wait = Duration.ofSeconds(Math.min(waitSeconds, settings.changesMaxWait().toSeconds()));
    return feed.read(merchantId, "feed:" + service.name(), after, limit, wait).thenApply(JsonBodies::ok);
  }

  /** {@code ?seq=N&wait=D}: D as {@code 10s}, {@code 500ms} or whole seconds, clamped to {@code lockstep.sync.max-wait}. */
  private CompletionStage<HttpResponse> sync(HttpRequest request, String merchantId) {
    if (request.getUri().query().get("seq").isEmpty()) {
      throw new ApiProblem(ProblemType.INVALID_REQUEST, "seq is required: the merchant seq the devices must have applied");
    }
    long seq = longParameter(request, "seq", 0, 0, Long.MAX_VALUE);
    Duration wait = durationParameter(request, "wait");
    if (wait.compareTo(settings.syncMaxWait()) > 0) wait = settings.syncMaxWait();
    return merchants.sync(merchantId, seq, wait).thenApply(status -> {
      SyncStatus.Builder body = SyncStatus.newBuilder()
          .setSeq(status.seq())
          .setHeadSeq(status.headSeq())
          .setComplete(status.complete());
      status.devices().forEach(d -> body.addDevices(SyncDevice.newBuilder()
          .setDeviceId(d.deviceId())
          .setAppliedSeq(d.appliedSeq())
          .setConnected(d.connected())
          .setLastSeenMillis(d.lastSeenMillis())));
      return JsonBodies.ok(body.build());
    });
  }

  private static Duration durationParameter(HttpRequest request, String name) {
    Optional<String> raw = request.getUri().query().get(name);
    if (raw.isEmpty()) return Duration.ZERO;
    String value = raw.get().trim();
    try {
      if (value.endsWith("ms")) return nonNegative(name, Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2))));
      if (value.endsWith("s")) return nonNegative(name, Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1))));
      return nonNegative(name, Duration.ofSeconds(Long.parseLong(value)));
    } catch (NumberFormatException | ArithmeticException e) {
      throw new ApiProblem(ProblemType.INVALID_REQUEST, name + " is not a duration such as 10s or 500ms: " + abbreviate(value));
    }
  }

  private static Duration nonNegative(String name, Duration value) {
    if (value.isNegative()) throw new ApiProblem(ProblemType.INVALID_REQUEST, name + " must not be negative");
    return value;
  }

  private static long longParameter(HttpRequest request, String name, long fallback, long min, long max) {
    Optional<String> raw = request.getUri().query().get(name);
    if (raw.isEmpty()) {
      return fallback;
    }
    long value;
    try {
      value = Long.parseLong(raw.get());
    } catch (NumberFormatException e) {
      throw new ApiProblem(ProblemType.INVALID_REQUEST, name + " is not an integer: " + abbreviate(raw.get()));
    }
    if (value < min || value > max) {
      throw new ApiProblem(ProblemType.INVALID_REQUEST, name + " out of range " + min + ".." + max + ": " + value);
    }
    return value;
  }

  private String id(String name, String value) {
    if (value.isBlank() || value.length() > limits.maxStringLength()) {
      throw new ApiProblem(ProblemType.INVALID_REQUEST,
          name + " must be 1.." + limits.maxStringLength() + " characters");
    }
    return value;
  }

  private static String abbreviate(String value) {
    return value.length() <= 40 ? value : value.substring(0, 40) + "…";
  }

  private static DeviceList deviceList(MerchantEntity.Devices devices) {
    DeviceList.Builder list = DeviceList.newBuilder();
    for (MerchantEntity.DeviceStatus d : devices.devices()) {
      list.addDevices(DeviceStatus.newBuilder()
          .setDeviceId(d.deviceId())
          .setConnected(d.connected())
          .setLastAckedCounter(d.lastAckedCounter())
          .setLastDeliveredSeq(d.lastDeliveredSeq())
          .setConnectedSinceMillis(d.connectedSinceMillis())
          .setNode(d.node()));
    }
    return list.build();
  }

  private static CompletionStage<HttpResponse> done(Supplier<HttpResponse> response) {
    return CompletableFuture.completedFuture(response.get());
  }

  private static byte[] readOpenApi() {
    try (InputStream in = ProductApi.class.getClassLoader().getResourceAsStream(OPENAPI_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing classpath resource " + OPENAPI_RESOURCE);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The OpenAPI document as served, UTF-8. */
  public String openApiDocument() {
    return new String(openApi, StandardCharsets.UTF_8);
  }
}
