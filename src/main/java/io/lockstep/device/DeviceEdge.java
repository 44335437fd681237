package io.lockstep.device;

import io.lockstep.config.DeviceSettings;
import io.lockstep.config.EntitySettings;
import io.lockstep.config.LimitSettings;
import io.lockstep.config.SecuritySettings;
import io.lockstep.security.DeviceRevocations;
import io.lockstep.security.TokenService;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;

/**
 * The device WebSocket server, {@code /v1/devices/ws} on its own port ({@code
 * lockstep.http.device-port}), on Netty rather than Pekko HTTP: a frame goes from the socket to
 * its {@link DeviceSession} actor in one hop and back in one event-loop task, with no stream
 * stages, sub-streams or IO actors in between (the fan-out profile of the Pekko HTTP edge spent
 * about 40% of the node's CPU there).
 *
 * <pre>
 *   [TLS] -> HTTP codec -> {@link DeviceUpgradeGate} (path, Origin) -> WebSocket handshake and
 *   framing (no extensions: permessage-deflate is never negotiated) -> continuation frames joined
 *   up to the frame limit -> {@link DeviceChannel} (one session per connection)
 * </pre>
 *
 * <p>Frames of more than {@code max-frame-bytes} are refused by the session with {@code
 * frame-too-large}; a single frame of more than twice that is cut by the decoder with close code
 * 1009 before it is buffered.
 */
public final class DeviceEdge {
  static final String PATH = "/v1/devices/ws";
  static final String UPGRADE_TIMEOUT = "upgrade-timeout";

  private final EventLoopGroup group;
  private final Channel server;

  private DeviceEdge(EventLoopGroup group, Channel server) {
    this.group = group;
    this.server = server;
  }

  /** Binds the edge; the returned stage fails when the port cannot be bound. */
  public static CompletionStage<DeviceEdge> bind(
      ActorSystem<?> system,
      String host,
      int port,
      int ioThreads,
      Duration keepAlive,
      Optional<SSLContext> tls,
      TokenService tokens,
      CurrentEventsByPersistenceIdQuery journal,
      DeviceSettings settings,
      EntitySettings entity,
      LimitSettings limits,
      SecuritySettings security,
      DeviceRevocations revocations,
      DeliveryLag lag) {
    DeviceChannel.Shared shared = new DeviceChannel.Shared(system, tokens, ClusterSharding.get(system), settings,
        SessionGuards.of(limits, revocations), new JournalCatchUp(journal, entity.changesPerFrame()),
        new OutgoingCoalescer(settings.coalesceBytes()), lag);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(ioThreads, NioIoHandler.newFactory());
    int maxFrame = limits.maxFrameBytes();
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            ChannelPipeline pipeline = channel.pipeline();
            if (tls.isPresent()) {
              SSLEngine engine = tls.get().createSSLEngine();
              engine.setUseClientMode(false);
              pipeline.addLast("tls", new SslHandler(engine));
            }
            // A connection that sends no complete upgrade request within hello-timeout is cut
            // (removed once the handshake is done: then the session's own timeouts apply).
            pipeline.addLast(UPGRADE_TIMEOUT, new ReadTimeoutHandler(settings.helloTimeout().toMillis(), TimeUnit.MILLISECONDS));
            pipeline.addLast("http", new HttpServerCodec());
            pipeline.addLast("request", new HttpObjectAggregator(16 * 1024));
            pipeline.addLast("gate", new DeviceUpgradeGate(security));
            pipeline.addLast("websocket", new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(PATH)
                .handshakeTimeoutMillis(settings.helloTimeout().toMillis())
                .dropPongFrames(true)
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                    .maxFramePayloadLength(2 * maxFrame)
                    .allowExtensions(false)
                    .build())
                .build()));
            pipeline.addLast("join", new WebSocketFrameAggregator(maxFrame));
            pipeline.addLast("keep-alive", new IdleStateHandler(0, keepAlive.toMillis(), 0, TimeUnit.MILLISECONDS));
            pipeline.addLast("session", new DeviceChannel(shared));
          }
        });
    CompletableFuture<DeviceEdge> bound = new CompletableFuture<>();
    ChannelFuture binding = bootstrap.bind(host, port);
    binding.addListener(future -> {
      if (future.isSuccess()) {
        bound.complete(new DeviceEdge(group, binding.channel()));
      } else {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        bound.completeExceptionally(future.cause());
      }
    });
    return bound;
  }

  /** The bound address (the real port when bound to 0). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) server.localAddress();
  }

  /** Stops accepting connections; open connections stay until their sessions end. */
  public CompletionStage<Void> unbind() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    server.close().addListener(future -> done.complete(null));
    return done;
  }

  /** Closes every connection and stops the IO threads, waiting at most {@code deadline}. */
  public CompletionStage<Void> shutdown(Duration deadline) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    group.shutdownGracefully(0, deadline.toMillis(), TimeUnit.MILLISECONDS).addListener(future -> done.complete(null));
    return done;
  }
}
