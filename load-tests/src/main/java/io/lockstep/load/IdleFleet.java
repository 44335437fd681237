package io.lockstep.load;

import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Ping;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import org.HdrHistogram.Histogram;

/**
 * The {@code idle} scenario's driver: {@link IdleDevice}s on Netty's WebSocket client, about 3 KB
 * of driver heap each (a {@link Device}, on the JDK client with its replica and send-time ring,
 * took about 190 KB).
 *
 * <p>Policy on connecting: at most {@code parallel} attempts are in flight (from TCP connect to
 * Welcome), started no faster than {@code ratePerSecond}, so that the node's listen backlog is
 * never what refuses a connection. Connections leave from the {@code sources} addresses in turn
 * (each loopback address has its own range of ephemeral ports). A failed attempt is tried again
 * after a jittered exponential backoff, as a device would, up to {@code maxAttempts}; each failure
 * is counted by its kind.
 */
final class IdleFleet implements AutoCloseable {
  /** How connections are made. */
  record ConnectPolicy(int parallel, double ratePerSecond, int maxAttempts, Duration minBackoff, Duration maxBackoff) {
    ConnectPolicy {
      if (parallel < 1) throw new IllegalArgumentException("parallel < 1: " + parallel);
      if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts < 1: " + maxAttempts);
    }
  }

  /** What connecting a batch of devices took. */
  record ConnectResult(int devices, long welcomed, long gaveUp, double seconds, long attemptFailures,
      Map<String, Long> failuresByKind, Histogram welcomeLatencyMicros) {}

  static {
    // Netty would log through SLF4J, whose only configuration on the driver's class path is the
    // root's logback-test.xml (it names the Pekko testkit's appender, absent here).
    InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
  }

  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final WebSocketClientProtocolConfig config;
  private final int maxFrameBytes;
  private final InetSocketAddress remote;
  private final List<InetAddress> sources;
  private final Recorder rec;
  private int nextSource; // connector thread only

  IdleFleet(URI target, List<InetAddress> sources, int ioThreads, int maxFrameBytes, Recorder rec) {
    this.remote = new InetSocketAddress(target.getHost(), target.getPort());
    this.sources = List.copyOf(sources);
    this.rec = rec;
    this.group = new MultiThreadIoEventLoopGroup(ioThreads, NioIoHandler.newFactory());
    this.maxFrameBytes = maxFrameBytes;
    this.config = WebSocketClientProtocolConfig.newBuilder()
        .webSocketUri(target)
        .allowExtensions(false)
        .generateOriginHeader(false) // a native device sends no Origin; the node refuses unknown ones
        .handleCloseFrames(false) // IdleDevice reads the close code
        .withUTF8Validator(false)
        .maxFramePayloadLength(maxFrameBytes)
        .handshakeTimeoutMillis(10_000)
        .build();
    this.bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
  }

  /** Connects {@code devices} under {@code policy}; returns when each is welcomed or given up, or at {@code deadline}. */
  ConnectResult connectAll(List<IdleDevice> devices, ConnectPolicy policy, Duration deadline) throws InterruptedException {
    long start = System.nanoTime();
    long end = start + deadline.toNanos();
    Semaphore inFlight = new Semaphore(policy.parallel());
    CountDownLatch settled = new CountDownLatch(devices.size());
    DelayQueue<Due> due = new DelayQueue<>();
    Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    LongAdder welcomed = new LongAdder();
    LongAdder gaveUp = new LongAdder();
    org.HdrHistogram.Recorder latency = new org.HdrHistogram.Recorder(600_000_000L, 3);
    long spacing = policy.ratePerSecond() > 0 ? (long) (1e9 / policy.ratePerSecond()) : 0;
    for (int i = 0; i < devices.size(); i++) due.add(new Due(devices.get(i), start + i * spacing));
    BiConsumer<IdleDevice, String> outcome = (device, failure) -> {
      inFlight.release();
      if (failure == null) {
        welcomed.increment();
        latency.recordValue(Math.min((System.nanoTime() - device.attemptStartedNanos) / 1000, 600_000_000L));
        settled.countDown();
        return;
      }
      failures.computeIfAbsent(failure, k -> new LongAdder()).increment();
      rec.error("connect:" + failure);
      if (device.attempts >= policy.maxAttempts()) {
        gaveUp.increment();
        rec.error("connect-gave-up");
        settled.countDown();
      } else {
        due.add(new Due(device, System.nanoTime() + backoffNanos(policy, device.attempts)));
      }
    };
    while (settled.getCount() > 0 && System.nanoTime() < end) {
      Due next = due.poll(100, TimeUnit.MILLISECONDS);
      if (next == null) continue;
      if (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
        due.add(next); // still first in line: its time has come
        continue;
      }
      attempt(next.device, outcome);
    }
    Map<String, Long> byKind = new TreeMap<>();
    failures.forEach((k, v) -> byKind.put(k, v.sum()));
    return new ConnectResult(devices.size(), welcomed.sum(), gaveUp.sum(), (System.nanoTime() - start) / 1e9,
        byKind.values().stream().mapToLong(Long::longValue).sum(), byKind, latency.getIntervalHistogram());
  }

  private void attempt(IdleDevice device, BiConsumer<IdleDevice, String> outcome) {
    device.attempts++;
    device.attemptStartedNanos = System.nanoTime();
    Bootstrap b = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
      @Override
      protected void initChannel(SocketChannel channel) {
        channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
            new WebSocketClientProtocolHandler(config), new WebSocketFrameAggregator(maxFrameBytes),
            device.attempt(outcome, rec));
      }
    });
    ChannelFuture connect = sources.isEmpty() ? b.connect(remote)
        : b.connect(remote, new InetSocketAddress(sources.get(nextSource++ % sources.size()), 0));
    device.connected(connect.channel());
    connect.addListener(f -> {
      if (!f.isSuccess()) outcome.accept(device, kindOf(f.cause()));
    });
  }

  /** Jittered exponential backoff: a half to the whole of min × 2^(attempt-1), at most max. */
  static long backoffNanos(ConnectPolicy policy, int attempt) {
    long ceiling = Math.min(policy.maxBackoff().toNanos(), policy.minBackoff().toNanos() << Math.min(attempt - 1, 20));
    return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
  }

  /** A short, stable name for why an attempt or a connection failed. */
  static String kindOf(Throwable cause) {
    Throwable e = cause;
    while (e.getCause() != null && e.getCause() != e) {
      if (e instanceof ConnectTimeoutException || e instanceof BindException || e instanceof ConnectException) break;
      e = e.getCause();
    }
    String message = String.valueOf(e.getMessage());
    if (message.contains("Too many open files")) return "too-many-open-files";
    if (e instanceof ConnectTimeoutException) return "connect-timeout";
    if (e instanceof BindException) return "no-local-port";
    if (e instanceof ConnectException) return "connect-refused";
    if (e instanceof WebSocketClientHandshakeException) return "upgrade-refused";
    if (message.contains("Connection reset")) return "reset";
    return e.getClass().getSimpleName();
  }

  /** An application Ping on every open connection (a device's keep-alive: the node's idle-timeout counts frames). */
  void ping(List<IdleDevice> devices) {
    byte[] ping = ClientFrame.newBuilder().setPing(Ping.newBuilder().setNonce(System.nanoTime())).build().toByteArray();
    for (IdleDevice d : devices) d.send(ping);
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static final class Due implements Delayed {
    final IdleDevice device;
    final long atNanos;

    Due(IdleDevice device, long atNanos) {
      this.device = device;
      this.atNanos = atNanos;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(atNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed other) {
      return Long.compare(atNanos, ((Due) other).atNanos);
    }
  }
}
