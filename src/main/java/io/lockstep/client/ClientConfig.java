package io.lockstep.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The settings of one {@link LockstepClient}, checked when made; immutable. Make one with
 * {@link #builder()}: {@code serverUri}, {@code deviceId}, {@code token} and {@code storePath} are
 * required, the rest has defaults.
 *
 * @param serverUri the device WebSocket endpoint, e.g. {@code ws://host:8080/v1/devices/ws}
 * @param deviceId this device's id
 * @param token supplies the device token; asked once per connection attempt, so it may rotate
 * @param storePath the store (an SQLite database); its directory is created; one client at a time
 * @param minBackoff first reconnection delay bound (default 200 ms)
 * @param maxBackoff largest reconnection delay (default 30 s); delays are jittered
 * @param pingInterval ping period; a connection silent for two periods is dropped (default 15 s)
 * @param connectTimeout limit for opening the socket and receiving Welcome (default 10 s)
 * @param maxMutationsPerPush mutations per Push (default 100; keep within the server's limit)
 * @param maxPushesInFlight unacknowledged pushes at a time (default 4; below the server's limit)
 * @param maxPushesPerSecond pushes sent per second at most, bursts of one second's worth (default
 *     40; below the server's {@code lockstep.limits.max-pushes-per-second}, 50, past which it
 *     closes the connection as {@code rate-limited}); mutations made meanwhile wait and go out
 *     together in the next push
 * @param maxFrameBytes longest server frame read (default 16 MiB); a longer one is a protocol
 *     error: the connection is closed before the frame is buffered, and retried
 * @param clock wall clock for hybrid logical timestamps (default UTC system clock)
 * @param random randomness for backoff jitter
 * @param listener told of changes, rejections, conflicts and connection states
 * @param httpClient shared between clients (its threads); empty: each client makes its own
 */
public record ClientConfig(URI serverUri, String deviceId, Supplier<String> token, Path storePath,
    Duration minBackoff, Duration maxBackoff, Duration pingInterval, Duration connectTimeout,
    int maxMutationsPerPush, int maxPushesInFlight, int maxPushesPerSecond, int maxFrameBytes, Clock clock,
    RandomGenerator random, ClientListener listener, Optional<HttpClient> httpClient) {

  // 16 MiB: far above a frame of the server's default 256 changes or 500 records, still a bound.
  static final int DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

  /** @throws IllegalArgumentException naming the first bad setting */
  public ClientConfig {
    Objects.requireNonNull(serverUri, "serverUri");
    if (!"ws".equals(serverUri.getScheme()) && !"wss".equals(serverUri.getScheme())) {
      throw new IllegalArgumentException("serverUri must be ws:// or wss://: " + serverUri);
    }
    Objects.requireNonNull(deviceId, "deviceId");
    if (deviceId.isBlank()) {
      throw new IllegalArgumentException("deviceId is blank: '" + deviceId + "'");
    }
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(storePath, "storePath");
    new ReconnectBackoff(minBackoff, maxBackoff, RandomGenerator.getDefault()); // validates
    positive("pingInterval", pingInterval);
    positive("connectTimeout", connectTimeout);
    atLeastOne("maxMutationsPerPush", maxMutationsPerPush);
    atLeastOne("maxPushesInFlight", maxPushesInFlight);
    atLeastOne("maxPushesPerSecond", maxPushesPerSecond);
    atLeastOne("maxFrameBytes", maxFrameBytes);
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(random, "random");
    Objects.requireNonNull(listener, "listener");
    Objects.requireNonNull(httpClient, "httpClient");
  }

  /** A builder with the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  private static void positive(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " <= 0: " + value);
    }
  }

  private static void atLeastOne(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " < 1: " + value);
    }
  }

  /** Makes a {@link ClientConfig}; each setter names one of its components. Not thread-safe. */
  public static final class Builder {
    private URI serverUri;
    private String deviceId;
    private Supplier<String> token;
    private Path storePath;
    private Duration minBackoff = Duration.ofMillis(200);
    private Duration maxBackoff = Duration.ofSeconds(30);
    private Duration pingInterval = Duration.ofSeconds(15);
    private Duration connectTimeout = Duration.ofSeconds(10);
    private int maxMutationsPerPush = 100;
    private int maxPushesInFlight = 4;
    private int maxPushesPerSecond = 40;
    private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
    private Clock clock = Clock.systemUTC();
    private RandomGenerator random = RandomGenerator.getDefault();
    private ClientListener listener = new ClientListener() {};
    private HttpClient httpClient;

    private Builder() {}

    public Builder serverUri(URI serverUri) {
      this.serverUri = serverUri;
      return this;
    }

    public Builder deviceId(String deviceId) {
      this.deviceId = deviceId;
      return this;
    }

    public Builder token(Supplier<String> token) {
      this.token = token;
      return this;
    }

    public Builder storePath(Path storePath) {
      this.storePath = storePath;
      return this;
    }

    public Builder backoff(Duration min, Duration max) {
      this.minBackoff = min;
      this.maxBackoff = max;
      return this;
    }

    public Builder pingInterval(Duration pingInterval) {
      this.pingInterval = pingInterval;
      return this;
    }

    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
      return this;
    }

    public Builder maxMutationsPerPush(int max) {
      this.maxMutationsPerPush = max;
      return this;
    }

    public Builder maxPushesInFlight(int max) {
      this.maxPushesInFlight = max;
      return this;
    }

    public Builder maxPushesPerSecond(int max) {
      this.maxPushesPerSecond = max;
      return this;
    }

    public Builder maxFrameBytes(int max) {
      this.maxFrameBytes = max;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public Builder random(RandomGenerator random) {
      this.random = random;
      return this;
    }

    public Builder listener(ClientListener listener) {
      this.listener = listener;
      return this;
    }

    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = httpClient;
      return this;
    }

    /**
     * The settings as set so far.
     *
     * @throws IllegalStateException when a required setting is missing
     * @throws IllegalArgumentException naming a bad setting
     */
    public ClientConfig build() {
      require(serverUri, "serverUri");
      require(deviceId, "deviceId");
      require(token, "token");
      require(storePath, "storePath");
      return new ClientConfig(serverUri, deviceId, token, storePath, minBackoff, maxBackoff,
          pingInterval, connectTimeout, maxMutationsPerPush, maxPushesInFlight, maxPushesPerSecond, maxFrameBytes,
          clock, random, listener, Optional.ofNullable(httpClient));
    }

    private static void require(Object value, String name) {
      if (value == null) {
        throw new IllegalStateException(name + " is required");
      }
    }
  }
}
