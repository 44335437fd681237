package io.lockstep.load;

import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Hello;
import io.lockstep.protocol.v1.ServerFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * One device of the {@code idle} scenario on Netty's WebSocket client: it says Hello (its token,
 * {@code after_seq} 0, as {@link Device} does), waits for its Welcome and then stays idle but for
 * the pings the scenario sends. It keeps no replica, outbox or send times: what it holds in the
 * driver is the connection and its identity, so the driver can hold tens of thousands.
 *
 * <pre>
 *   attempt:  TCP connect -> upgrade -> Hello sent -> Welcome  => welcomed (the attempt succeeded)
 *             any failure or close before the Welcome            => the attempt failed, with a kind
 *   welcomed: a close or socket error                            => counted as an error ("closed:…")
 * </pre>
 */
final class IdleDevice {
  /** How long an upgraded connection waits for its Welcome before the attempt counts as failed. */
  static final long WELCOME_TIMEOUT_MILLIS = 30_000;

  /** Its Hello, encoded once: the device's identity is its token's. */
  private final byte[] hello;
  // Written by the fleet's connector thread before each attempt starts, read by its outcome.
  int attempts;
  long attemptStartedNanos;
  private volatile Channel channel;
  private volatile boolean welcomed;
  private volatile boolean closing;

  IdleDevice(String deviceId, String token) {
    this.hello = ClientFrame.newBuilder()
        .setHello(Hello.newBuilder().setDeviceId(deviceId).setToken(token).setAfterSeq(0)).build().toByteArray();
  }

  /** Welcomed, and its connection still open. */
  boolean isOpen() {
    Channel c = channel;
    return welcomed && c != null && c.isActive();
  }

  /**
   * The handler of one connection attempt. {@code outcome} is told once, on the event loop: with
   * null when the Welcome arrived, else with the kind of failure. {@code afterWelcome} is told of
   * errors once welcomed.
   */
  ChannelInboundHandlerAdapter attempt(BiConsumer<IdleDevice, String> outcome, Recorder afterWelcome) {
    welcomed = false;
    return new Attempt(outcome, afterWelcome);
  }

  void connected(Channel c) {
    channel = c;
  }

  /** Sends {@code frame} (an encoded ClientFrame) if open. */
  void send(byte[] frame) {
    Channel c = channel;
    if (isOpen()) c.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(frame)), c.voidPromise());
  }

  /** Closes the connection with 1000 (the driver's own close, not counted as an error). */
  void close() {
    closing = true;
    Channel c = channel;
    if (c == null || !c.isActive()) return;
    c.writeAndFlush(new CloseWebSocketFrame(1000, "bye")).addListener(ChannelFutureListener.CLOSE);
  }

  private final class Attempt extends ChannelInboundHandlerAdapter {
    private final BiConsumer<IdleDevice, String> outcome;
    private final Recorder afterWelcome;
    private boolean decided; // event loop only
    private String closeFrame = "no-close-frame"; // event loop only
    private Channel own; // event loop only

    Attempt(BiConsumer<IdleDevice, String> outcome, Recorder afterWelcome) {
      this.outcome = outcome;
      this.afterWelcome = afterWelcome;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      own = ctx.channel();
    }

    /** The attempt's outcome; a failed attempt's connection is closed before it is tried again. */
    private void decide(String failure) {
      if (decided) return;
      decided = true;
      if (failure == null) welcomed = true;
      else own.close();
      outcome.accept(IdleDevice.this, failure);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
        ctx.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(hello)));
        ctx.executor().schedule(() -> {
          if (!decided) decide("welcome-timeout");
        }, WELCOME_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
      } else if (event == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
        decide("upgrade-timeout");
      }
      ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof BinaryWebSocketFrame frame) {
          read(frame.content());
        } else if (msg instanceof CloseWebSocketFrame close) {
          closeFrame = close.statusCode() + (close.reasonText().isEmpty() ? "" : ":" + close.reasonText());
          ctx.writeAndFlush(new CloseWebSocketFrame()).addListener(ChannelFutureListener.CLOSE);
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private void read(ByteBuf content) {
      ServerFrame frame;
      try (ByteBufInputStream in = new ByteBufInputStream(content)) {
        frame = ServerFrame.parseFrom(in);
      } catch (IOException e) {
        if (welcomed) afterWelcome.error("unparsable-frame");
        else decide("unparsable-frame");
        return;
      }
      switch (frame.getFrameCase()) {
        case WELCOME -> decide(null);
        case ERROR -> {
          if (welcomed) afterWelcome.error("server:" + frame.getError().getCode());
          else decide("server:" + frame.getError().getCode());
        }
        default -> { } // a snapshot or changes: an idle device has nothing to apply them to
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!decided) decide("closed-before-welcome:" + closeFrame);
      else if (welcomed && !closing) afterWelcome.error("closed:" + closeFrame);
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!decided) decide(IdleFleet.kindOf(cause));
      else if (welcomed && !closing) afterWelcome.error("socket-error:" + IdleFleet.kindOf(cause));
      ctx.close();
    }
  }
}
