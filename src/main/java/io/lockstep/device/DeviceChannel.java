package io.lockstep.device;

import io.lockstep.config.DeviceSettings;
import io.lockstep.security.TokenService;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One device connection on the {@link DeviceEdge}: hands each whole WebSocket message to the
 * connection's {@link DeviceSession} and is the session's {@link Outbox}.
 *
 * <p>Inbound, reading pauses while the session holds {@value #PAUSE_AT} frames it has not
 * released, and resumes when it is down to {@value #RESUME_AT} (backpressure to the socket).
 * Outbound, the session's frames queue here and one event-loop task writes what has queued, with
 * consecutive {@code Changes} joined ({@link OutgoingCoalescer}), then flushes once: at low load
 * every frame goes out alone and at once, under load a device gets fewer, larger frames and the
 * node fewer writes. Writing stops while the socket is not writable (64 KiB pending) and resumes
 * when it is; what waits meanwhile is what {@code outgoing-buffer-frames} bounds. A journal range
 * is read and written at the socket's pace before anything queued behind it.
 */
final class DeviceChannel extends ChannelInboundHandlerAdapter implements Outbox {
  private static final Logger log = LoggerFactory.getLogger(DeviceChannel.class);
  static final int PAUSE_AT = 16;
  static final int RESUME_AT = 8;
  /** How long a peer gets to answer our close frame before the connection is cut. */
  private static final long CLOSE_BOUND_MILLIS = 1000;
  /**
   * How long a connection outlives its session when the device does not read what is left for it
   * (the last frames and the Error that says why): then it is cut, so a device that stopped reading
   * cannot hold a connection open.
   */
  static final long DRAIN_BOUND_MILLIS = 30_000;

  /** What every connection of the edge shares. */
  record Shared(
      ActorSystem<?> system,
      TokenService tokens,
      ClusterSharding sharding,
      DeviceSettings settings,
      SessionGuards guards,
      JournalCatchUp catchUp,
      OutgoingCoalescer coalescer,
      DeliveryLag lag) {
    int maxFrameBytes() {
      return guards.limits().maxFrameBytes();
    }
  }

  private final Shared shared;
  private final ConnectionLag connectionLag;
  private Channel channel;
  private ActorRef<DeviceSession.Command> session;

  // Inbound: frames handed to the session and not yet released by it.
  private final AtomicInteger unreleased = new AtomicInteger();
  private final Runnable release = this::released;
  private final Runnable resume = this::resumeIfLow;

  // Outbound: offered from the session's thread, written on the event loop.
  private final Queue<Outgoing> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  private final Runnable drain = this::drain;
  private volatile boolean completing;
  private boolean catchingUp; // event loop only
  private boolean closeSent; // event loop only

  DeviceChannel(Shared shared) {
    this.shared = shared;
    this.connectionLag = new ConnectionLag(shared.lag());
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
      if (ctx.pipeline().get(DeviceEdge.UPGRADE_TIMEOUT) != null) ctx.pipeline().remove(DeviceEdge.UPGRADE_TIMEOUT);
      session();
    }
    if (event instanceof IdleStateEvent) {
      ctx.writeAndFlush(new PingWebSocketFrame()); // keeps proxies from cutting a quiet connection
      return;
    }
    ctx.fireUserEventTriggered(event);
  }

  private ActorRef<DeviceSession.Command> session() {
    if (session == null) {
      session = shared.system().systemActorOf(
          DeviceSession.create(this, shared.tokens(), shared.sharding(), shared.settings(), shared.guards(), connectionLag),
          "device-session-" + UUID.randomUUID(),
          Props.empty());
    }
    return session;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    DeviceSession.Received received;
    if (msg instanceof BinaryWebSocketFrame frame) {
      try {
        received = frame.content().readableBytes() > shared.maxFrameBytes()
            ? new DeviceSession.Received.TooLarge(shared.maxFrameBytes())
            : new DeviceSession.Received.Binary(ByteBufUtil.getBytes(frame.content()));
      } finally {
        frame.release();
      }
    } else if (msg instanceof TextWebSocketFrame frame) {
      frame.release();
      received = new DeviceSession.Received.Text();
    } else {
      ReferenceCountUtil.release(msg); // continuation frames arrive joined; pings are answered before us
      return;
    }
    deliver(received);
  }

  private void deliver(DeviceSession.Received received) {
    if (unreleased.incrementAndGet() >= PAUSE_AT) channel.config().setAutoRead(false);
    session().tell(new DeviceSession.Inbound(received, release));
  }

  /** From the session's thread: it is done with one frame. */
  private void released() {
    if (unreleased.decrementAndGet() == RESUME_AT) channel.eventLoop().execute(resume);
  }

  private void resumeIfLow() {
    if (unreleased.get() <= RESUME_AT && !channel.config().isAutoRead()) channel.config().setAutoRead(true);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      deliver(new DeviceSession.Received.TooLarge(shared.maxFrameBytes()));
      return;
    }
    log.debug("Device connection {} failed: {}", channel.remoteAddress(), cause.toString());
    if (session != null) session.tell(new DeviceSession.StreamFailed(cause));
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (session != null) session.tell(DeviceSession.StreamClosed.INSTANCE);
    ctx.fireChannelInactive();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (channel.isWritable()) drain();
    ctx.fireChannelWritabilityChanged();
  }

  // ---- Outbox --------------------------------------------------------------------------------

  @Override
  public int size() {
    return queued.get();
  }

  @Override
  public void offer(Outgoing outgoing) {
    queue.add(outgoing);
    queued.incrementAndGet();
    scheduleDrain();
  }

  @Override
  public void complete() {
    completing = true;
    scheduleDrain();
    channel.eventLoop().schedule(() -> { channel.close(); }, DRAIN_BOUND_MILLIS, TimeUnit.MILLISECONDS);
  }

  private void scheduleDrain() {
    if (drainScheduled.compareAndSet(false, true)) channel.eventLoop().execute(drain);
  }

  /** On the event loop: writes what has queued, joined, and flushes once. */
  private void drain() {
    drainScheduled.set(false);
    if (catchingUp || closeSent || !channel.isActive()) return;
    OutgoingCoalescer.Batch batch = null;
    Outgoing.FromJournal range = null;
    while (channel.isWritable()) {
      Outgoing next = queue.poll();
      if (next == null) break;
      queued.decrementAndGet();
      if (next instanceof Outgoing.FromJournal fromJournal) {
        range = fromJournal;
        break;
      }
      batch = batch == null ? shared.coalescer().seed(next) : batch.add(next);
    }
    if (batch != null) {
      long now = System.currentTimeMillis();
      for (Outgoing frame : batch.frames()) write((Outgoing.Frame) frame, now);
      channel.flush();
    }
    if (range != null) {
      catchUp(range);
    } else if (completing && queue.isEmpty() && channel.isWritable()) {
      sendClose();
    }
  }

  private void write(Outgoing.Frame frame, long nowMillis) {
    connectionLag.written(frame, nowMillis);
    channel.write(binary(frame.serverFrame()));
  }

  private static BinaryWebSocketFrame binary(byte[] serverFrame) {
    return new BinaryWebSocketFrame(Unpooled.wrappedBuffer(serverFrame));
  }

  /** Writes a journal range at the socket's pace; what queued behind it waits, then follows. */
  private void catchUp(Outgoing.FromJournal range) {
    catchingUp = true;
    shared.catchUp().frames(range)
        .mapAsync(1, this::writeAndFlush)
        .runWith(Sink.ignore(), shared.system())
        .whenComplete((done, failure) -> channel.eventLoop().execute(() -> {
          catchingUp = false;
          if (failure != null) {
            // A hole in the journal range: close rather than let the device skip a change.
            log.warn("Catch-up of merchant {} from the journal failed: {}", range.merchantId(), failure.toString());
            channel.close();
          } else {
            drain();
          }
        }));
  }

  private CompletionStage<Void> writeAndFlush(byte[] serverFrame) {
    CompletableFuture<Void> written = new CompletableFuture<>();
    channel.writeAndFlush(binary(serverFrame)).addListener(future -> {
      if (future.isSuccess()) written.complete(null);
      else written.completeExceptionally(future.cause());
    });
    return written;
  }

  /** Close frame 1000 after everything queued; the peer's answer closes the connection, or the bound does. */
  private void sendClose() {
    closeSent = true;
    channel.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE));
    channel.eventLoop().schedule(() -> { channel.close(); }, CLOSE_BOUND_MILLIS, TimeUnit.MILLISECONDS);
  }
}
