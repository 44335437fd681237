package io.lockstep.device;

import io.lockstep.config.SecuritySettings;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Lets through only the upgrade request of {@code /v1/devices/ws}: any other path gets 404, a
 * request carrying an {@code Origin} not in {@code lockstep.security.allowed-origins} gets 403
 * before the upgrade (cross-site WebSocket hijacking; native devices send no {@code Origin}).
 * Leaves the pipeline once it has passed the request on.
 */
final class DeviceUpgradeGate extends ChannelInboundHandlerAdapter {
  private final SecuritySettings security;

  DeviceUpgradeGate(SecuritySettings security) {
    this.security = security;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    String uri = request.uri();
    int query = uri.indexOf('?');
    String path = query < 0 ? uri : uri.substring(0, query);
    if (!DeviceEdge.PATH.equals(path)) {
      request.release();
      refuse(ctx, HttpResponseStatus.NOT_FOUND, "the device endpoint is " + DeviceEdge.PATH);
      return;
    }
    if (!security.originAllowed(Optional.ofNullable(request.headers().get(HttpHeaderNames.ORIGIN)))) {
      request.release();
      refuse(ctx, HttpResponseStatus.FORBIDDEN, "origin not allowed");
      return;
    }
    ctx.pipeline().remove(this);
    ctx.fireChannelRead(request);
  }

  private static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String text) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8")
        .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }
}
